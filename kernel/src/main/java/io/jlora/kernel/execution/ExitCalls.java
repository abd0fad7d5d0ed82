package io.jlora.kernel.execution;

/**
 * What {@link ExitCallRedirector} makes cell code call instead of the JVM's exit methods. Each takes the
 * same stack arguments as the call it stands for (the receiver first for Runtime's instance methods),
 * so the rewritten bytecode needs no other change.
 */
public final class ExitCalls {
    private ExitCalls() {
    }

    public static void systemExit(int status) {
        throw new ExitCalledInCell("System.exit", status);
    }

    public static void runtimeExit(Runtime runtime, int status) {
        throw new ExitCalledInCell("Runtime.exit", status);
    }

    public static void runtimeHalt(Runtime runtime, int status) {
        throw new ExitCalledInCell("Runtime.halt", status);
    }
}
