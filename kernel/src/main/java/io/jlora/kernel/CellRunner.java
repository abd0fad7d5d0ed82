package io.jlora.kernel;

import io.jlora.kernel.execution.EvalResult;
import io.jlora.kernel.execution.JShellEvaluator;
import io.jlora.kernel.execution.OutOfMemoryAdvice;
import io.jlora.kernel.magic.CellParts;
import io.jlora.kernel.magic.MagicException;
import io.jlora.kernel.magic.MagicRegistry;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs cells on one thread of their own: the parts of a cell (Java, line and cell magics) in order,
 * stopping at the first error, and stops the running cell when the user interrupts it. Owns JShell,
 * which takes a second to start and is built in the background so that kernel_info answers at once.
 */
final class CellRunner {
    private static final Logger LOG = Logger.getLogger(CellRunner.class.getName());

    private final MagicRegistry magics;
    private final ExecutorService cellThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jlora-cell");
        t.setDaemon(true);
        return t;
    });
    private final Future<JShellEvaluator> evaluator;
    private volatile Thread runner;
    private volatile boolean interrupted;
    private volatile boolean inFlight;

    CellRunner(List<String> startupImports, MagicRegistry magics) {
        this.magics = magics;
        this.evaluator = cellThread.submit(() -> new JShellEvaluator(startupImports));
    }

    /** JShell, once it has started (waits for it). */
    JShellEvaluator evaluator() {
        try {
            return evaluator.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while JShell starts", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("JShell failed to start: " + e.getCause(), e.getCause());
        }
    }

    /** Runs {@code code} as cell number {@code count} on the cell thread and waits for its result. */
    EvalResult run(String code, int count) {
        interrupted = false;
        inFlight = true;
        try {
            return cellThread.submit(() -> runOnCellThread(code, count)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new EvalResult.Failure("InterruptedException", "the kernel is shutting down", List.of());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            LOG.log(Level.SEVERE, "cell failed inside the kernel", cause);
            return cause instanceof OutOfMemoryError oom
                    ? OutOfMemoryAdvice.failure(String.valueOf(oom.getMessage()), List.of(), List.of())
                    : new EvalResult.Failure(cause.getClass().getSimpleName(), String.valueOf(cause.getMessage()), List.of(cause.toString()));
        } finally {
            inFlight = false;
        }
    }

    /** Stops the running cell, if any: a kernel interrupt, by message or by SIGINT. */
    void interrupt() {
        if (!inFlight) return;
        interrupted = true; // a cell still waiting for JShell to start sees this before it runs
        Thread current = runner;
        if (current == null) return;
        JShellEvaluator.requestStop();
        current.interrupt();
    }

    private EvalResult runOnCellThread(String code, int count) {
        JShellEvaluator.clearStop();
        Thread.interrupted();
        runner = Thread.currentThread();
        try {
            if (interrupted) return interruptedFailure();
            EvalResult last = EvalResult.NONE;
            for (CellParts.Part part : CellParts.split(code)) {
                last = runPart(part, count);
                if (interrupted) return interruptedFailure();
                if (last instanceof EvalResult.Failure) return last;
            }
            return last;
        } finally {
            runner = null;
            JShellEvaluator.clearStop();
            Thread.interrupted();
            System.out.flush();
            System.err.flush();
        }
    }

    private EvalResult runPart(CellParts.Part part, int count) {
        if (part instanceof CellParts.Java java) {
            return evaluator().eval(java.code(), java.firstLine(), "cell [" + count + "]");
        }
        try {
            Object value;
            if (part instanceof CellParts.LineCall call) {
                value = magics.line(call.name()).orElseThrow(() -> unknownMagic("%" + call.name())).run(call.args());
            } else {
                CellParts.CellCall call = (CellParts.CellCall) part;
                value = magics.cell(call.name()).orElseThrow(() -> unknownMagic("%%" + call.name())).run(call.args(), call.body());
            }
            return value == null ? EvalResult.NONE : new EvalResult.Value(value);
        } catch (InterruptedException e) {
            return interruptedFailure();
        } catch (MagicException e) {
            return new EvalResult.Failure("MagicError", e.getMessage(), List.of("\u001B[31mMagicError\u001B[0m: " + e.getMessage()));
        } catch (OutOfMemoryError e) {
            return OutOfMemoryAdvice.failure(String.valueOf(e.getMessage()), List.of(), List.of());
        } catch (Exception | Error e) {
            if (interrupted) return interruptedFailure();
            String message = e.getClass().getSimpleName() + ": " + e.getMessage();
            return new EvalResult.Failure(e.getClass().getSimpleName(), String.valueOf(e.getMessage()), List.of("\u001B[31m" + message + "\u001B[0m"));
        }
    }

    private static MagicException unknownMagic(String name) {
        return new MagicException("unknown magic " + name + " (%lsmagic lists them)");
    }

    private static EvalResult interruptedFailure() {
        return new EvalResult.Failure("InterruptedException", "interrupted by the user",
                List.of("\u001B[31mInterruptedException\u001B[0m: the cell was interrupted by the user"));
    }
}
