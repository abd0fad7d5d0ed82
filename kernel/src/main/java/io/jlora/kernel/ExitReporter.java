package io.jlora.kernel;

import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * A shutdown hook that names the code which called {@code System.exit}, so that a kernel ended by library
 * code (cells' own exit calls are refused by the kernel's bytecode rewriting) does not die silently.
 * The kernel's own exits use {@code Runtime.halt}, which runs no hooks; a signal (SIGTERM) runs the hook
 * but has no {@code Runtime.exit} frame, and is only logged.
 */
final class ExitReporter {
    private static final Logger LOG = Logger.getLogger(ExitReporter.class.getName());

    private ExitReporter() {
    }

    static void install(Consumer<String> announce) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Optional<String> report = describe(Thread.getAllStackTraces());
            if (report.isEmpty()) {
                LOG.info("the kernel is stopping (signal or end of the JVM)");
                return;
            }
            LOG.severe(report.get());
            announce.accept(report.get());
        }, "jlora-exit-report"));
    }

    /** What to tell the user when one of {@code stacks} is inside {@code Runtime.exit}; empty otherwise. */
    static Optional<String> describe(Map<Thread, StackTraceElement[]> stacks) {
        for (Map.Entry<Thread, StackTraceElement[]> entry : stacks.entrySet()) {
            StackTraceElement[] frames = entry.getValue();
            for (int i = 0; i < frames.length; i++) {
                if (!isRuntimeExit(frames[i])) continue;
                String caller = caller(frames, i + 1);
                return Optional.of("The kernel is exiting: System.exit was called by " + caller
                        + " (thread " + entry.getKey().getName() + "). Exit calls written in a cell are refused;"
                        + " this one came from library code or reflection. Restart the kernel to go on.");
            }
        }
        return Optional.empty();
    }

    private static boolean isRuntimeExit(StackTraceElement frame) {
        return "java.lang.Runtime".equals(frame.getClassName()) && "exit".equals(frame.getMethodName());
    }

    /** The first frame below the exit call that is neither System.exit nor reflection machinery. */
    private static String caller(StackTraceElement[] frames, int from) {
        for (int i = from; i < frames.length; i++) {
            String c = frames[i].getClassName();
            if (c.equals("java.lang.System") || c.startsWith("jdk.internal.reflect.") || c.startsWith("java.lang.reflect.")
                    || c.startsWith("java.lang.invoke.")) continue;
            return c.startsWith("REPL.") ? "a cell (through reflection)" : frames[i].toString();
        }
        return "unknown code";
    }
}
