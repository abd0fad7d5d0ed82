package io.jlora.kernel.execution;

/**
 * Thrown inside cell code when the user interrupts the kernel. An {@link Error}, like the old
 * {@code ThreadDeath}, so that a cell's own {@code catch (Exception e)} does not swallow it.
 */
public final class CellInterrupted extends Error {
    public CellInterrupted() {
        super("interrupted by the user", null, false, false);
    }
}
