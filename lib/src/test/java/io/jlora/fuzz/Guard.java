package io.jlora.fuzz;

import io.jlora.JloraException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Runs one fuzz input on a worker thread with a deadline and classifies what came out. A worker
 * that misses the deadline is abandoned (native code cannot be interrupted) and a fresh one takes
 * over, so one hang does not stall the rest of the run.
 */
final class Guard {

    /** Generous: the machine is shared, and a slow try is not a hang; a loop without end is. */
    static final long DEADLINE_MS = Long.getLong("jlora.fuzz.deadlineMs", 30_000);

    private static volatile Thread workerThread;
    private static ExecutorService worker = newWorker();

    private Guard() {}

    /**
     * Runs {@code action} on the input stored under {@code inputDir}. Refusals count only when the
     * exception is ours and its message names a path under {@code inputDir}, which is the file the
     * user would have to fix.
     */
    static synchronized Verdict run(Path inputDir, Callable<?> action) {
        Future<?> future = worker.submit(action);
        try {
            future.get(DEADLINE_MS, TimeUnit.MILLISECONDS);
            return Verdict.accepted();
        } catch (TimeoutException e) {
            // where the worker is stuck, before it is abandoned: the lead to a loop without end
            Thread stuck = workerThread;
            String where = stuck == null ? "" : " in " + Arrays.stream(stuck.getStackTrace()).limit(8)
                    .map(StackTraceElement::toString).collect(Collectors.joining(" < "));
            future.cancel(true);
            worker.shutdownNow();
            worker = newWorker();
            return new Verdict(Outcome.HUNG, "no result after " + DEADLINE_MS + " ms" + where);
        } catch (ExecutionException e) {
            return classify(inputDir, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("fuzz run interrupted", e);
        }
    }

    static Verdict classify(Path inputDir, Throwable t) {
        if (t instanceof JloraException && t.getMessage() != null && t.getMessage().contains(inputDir.toString())) {
            return Verdict.refused(t.getMessage().replace(inputDir.toString(), "<input>"));
        }
        String why = t instanceof JloraException ? "message does not name the file: " : "";
        return new Verdict(Outcome.ESCAPED, why + describe(t));
    }

    /** The class, message and the frames that locate a throw, compact enough for a report line. */
    static String describe(Throwable t) {
        String frames = Arrays.stream(t.getStackTrace()).limit(6).map(StackTraceElement::toString)
                .collect(Collectors.joining(" < "));
        String message = String.valueOf(t.getMessage());
        if (message.length() > 300) {
            message = message.substring(0, 300) + "...";
        }
        return t.getClass().getName() + ": " + message + " at " + frames
                + (t.getCause() != null && t.getCause() != t ? " caused by " + t.getCause().getClass().getName() : "");
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-worker");
            t.setDaemon(true); // an abandoned, hung worker must not keep the JVM alive
            workerThread = t;
            return t;
        });
    }
}
