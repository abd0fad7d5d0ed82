package io.jlora.kernel.runtime;

/**
 * What a running kernel offers to code in cells (and to magics and helpers): rich display, in-place
 * updates and clearing. {@link Display} reaches it statically; outside a kernel, in plain JShell or on
 * the command line, {@link #current()} is a console stand-in that prints text.
 */
public interface Notebook {
    /** Shows {@code value} as display_data; returns the display id, for {@link #updateDisplay}. */
    String display(Object value, String displayId);

    /** Replaces what an earlier {@link #display} showed (update_display_data). */
    void updateDisplay(String displayId, Object value);

    /** Clears the cell's output, now or (wait) when the next output arrives. */
    void clearOutput(boolean wait);

    /** True inside a Jupyter kernel, where rich output is shown; false in a console. */
    boolean isRich();

    static Notebook current() {
        return Holder.current;
    }

    static void install(Notebook notebook) {
        Holder.current = notebook == null ? Holder.CONSOLE : notebook;
    }

    final class Holder {
        private static final Notebook CONSOLE = new ConsoleNotebook();
        private static volatile Notebook current = CONSOLE;

        private Holder() {
        }
    }
}
