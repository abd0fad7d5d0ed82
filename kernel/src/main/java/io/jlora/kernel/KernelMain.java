package io.jlora.kernel;

import io.jlora.kernel.protocol.ConnectionInfo;
import io.jlora.kernel.protocol.KernelSockets;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts a kernel for a connection file: {@code java io.jlora.kernel.KernelMain CONNECTION_FILE}.
 * Jupyter launches it through the kernelspec that {@code bin/jlora install-kernel} writes.
 */
public final class KernelMain {
    private KernelMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: KernelMain CONNECTION_FILE | --warm-up");
            System.exit(2);
        }
        if ("--warm-up".equals(args[0])) {
            warmUp();
            return;
        }
        PrintStream console = System.err;
        quietLibraryLogging();

        Path connectionFile = Path.of(args[0]);
        ConnectionInfo connection;
        try {
            connection = ConnectionInfo.read(connectionFile);
        } catch (java.io.IOException e) {
            console.println("jlora kernel: " + e.getMessage());
            System.exit(2);
            return;
        }
        for (String warning : connection.warnings(connectionFile)) console.println("jlora kernel: WARNING: " + warning);
        KernelSockets sockets = new KernelSockets(connection);
        History history = new History(History.location(System::getProperty, System::getenv));
        JloraKernel kernel = new JloraKernel(sockets, history);

        // From here on, what any code prints belongs to the running cell; the kernel's own log keeps
        // the original stderr, which Jupyter shows in its terminal.
        System.setOut(new PrintStream(kernel.stdoutStream(), false, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(kernel.stderrStream(), false, StandardCharsets.UTF_8));
        System.setIn(new CellInput(kernel::readInputLine));
        logTo(console);
        SignalInterrupts.install(kernel::interrupt);
        kernel.start();
        ExitReporter.install(kernel::announceExit);
        exitWithParent();
        Thread.currentThread().join();
    }

    /**
     * Jupyter tells its kernels the launcher's pid in JPY_PARENT_PID. When that process dies without
     * shutting the kernel down (killed, crashed), the kernel goes too, instead of living on orphaned.
     */
    private static void exitWithParent() {
        String parent = System.getenv("JPY_PARENT_PID");
        if (parent == null || !parent.matches("\\d+") || "1".equals(parent)) return;
        java.util.Optional<ProcessHandle> handle = ProcessHandle.of(Long.parseLong(parent));
        if (handle.isEmpty()) return;
        handle.get().onExit().thenRun(() -> {
            Logger.getLogger(KernelMain.class.getName()).warning("the Jupyter process " + parent + " is gone; exiting");
            Runtime.getRuntime().halt(0);
        });
    }

    /**
     * Runs what a kernel start runs (JShell, the start-up imports, one cell) and exits. The installer
     * runs it once with -XX:ArchiveClassesAtExit, so that later starts map those classes from a
     * class-data-sharing archive instead of loading and verifying them again.
     */
    private static void warmUp() {
        quietLibraryLogging();
        try (var evaluator = new io.jlora.kernel.execution.JShellEvaluator(JloraKernel.startupImports(JloraKernel.magicProviders()))) {
            evaluator.eval("int warm = 1 + 1;\nString.valueOf(warm)", 1, "warm-up");
        }
        new io.jlora.kernel.MimeBundles().render("warm", null);
        System.exit(0);
    }

    /** Library logs (DJL, JeroMQ) stay in the kernel's log, not in cells, and only above INFO. */
    private static void quietLibraryLogging() {
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.cacheOutputStream", "true");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("jlora.log.level", "warn"));
        // DJL probes for CUDA on every start and warns when there is none: not worth a line in a notebook's log
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
        // SLF4J's own reports ("SLF4J(W): No SLF4J providers were found", two providers...) print to the
        // System.err of the moment, which inside a cell is the cell's output: keep only its errors
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        org.slf4j.LoggerFactory.getLogger(KernelMain.class); // binds slf4j-simple to the stderr of now
    }

    private static void logTo(PrintStream console) {
        Logger root = Logger.getLogger("");
        for (var handler : root.getHandlers()) root.removeHandler(handler);
        var handler = new java.util.logging.StreamHandler(console, new java.util.logging.SimpleFormatter()) {
            @Override
            public synchronized void publish(java.util.logging.LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
    }
}
