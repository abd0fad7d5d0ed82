/**
 * The Jupyter kernel. {@link io.jlora.kernel.KernelMain} starts it; {@link io.jlora.kernel.JloraKernel}
 * builds the parts and registers one handler per message type in a {@link io.jlora.kernel.HandlerTable}
 * shared by the shell and control channels. {@link io.jlora.kernel.ExecuteHandler} runs execute_request
 * through {@link io.jlora.kernel.CellRunner} (the cell thread, JShell, magics, interrupts), and
 * {@link io.jlora.kernel.CellOutput} publishes what cells print and display; reply contents come from
 * {@link io.jlora.kernel.Replies} and {@link io.jlora.kernel.CodeAssistReplies}; {@link io.jlora.kernel.History}
 * keeps the cells across sessions. Subpackages: {@code protocol} (ZeroMQ channels, signing),
 * {@code execution} (JShell, interrupts, tracebacks, completion), {@code runtime} (what cells call to
 * display), {@code magic} (the registry and built-in magics), {@code install} (the kernelspec).
 */
package io.jlora.kernel;
