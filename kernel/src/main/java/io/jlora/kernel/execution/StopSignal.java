package io.jlora.kernel.execution;

/**
 * The flag that an interrupt raises and that instrumented cell code polls.
 * <p>{@code Thread.stop} is gone from JDK 20 on, so busy loops in cells are made stoppable by
 * {@link InterruptInstrumenter}, which puts a call to {@link #check()} at every method entry and jump of
 * the classes JShell compiles. The check is one volatile read while no interrupt is pending.
 */
public final class StopSignal {
    private static volatile boolean requested;

    private StopSignal() {
    }

    /** Called from instrumented cell code. */
    public static void check() {
        if (requested) throw new CellInterrupted();
    }

    static void request() {
        requested = true;
    }

    static void clear() {
        requested = false;
    }

    public static boolean isRequested() {
        return requested;
    }
}
