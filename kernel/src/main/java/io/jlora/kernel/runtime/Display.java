package io.jlora.kernel.runtime;

import java.util.UUID;

/**
 * The helpers every cell has, statically imported: {@code display(chart)}, {@code updateDisplay(id, x)},
 * {@code clearOutput()}, and wrappers that pick a MIME type: {@code markdown("# Title")}, {@code html},
 * {@code svg}, {@code json}, {@code latex}. A {@code BufferedImage} displays as a PNG.
 */
public final class Display {
    private Display() {
    }

    /** Shows a value below the cell and returns its display id. */
    public static String display(Object value) {
        return Notebook.current().display(value, UUID.randomUUID().toString());
    }

    /** Shows a value under a display id of your choosing, so that it can be updated later. */
    public static String display(Object value, String displayId) {
        return Notebook.current().display(value, displayId);
    }

    public static void updateDisplay(String displayId, Object value) {
        Notebook.current().updateDisplay(displayId, value);
    }

    public static void clearOutput() {
        Notebook.current().clearOutput(false);
    }

    public static void clearOutput(boolean wait) {
        Notebook.current().clearOutput(wait);
    }

    public static RichText markdown(String text) {
        return new RichText("text/markdown", text);
    }

    public static RichText html(String text) {
        return new RichText("text/html", text);
    }

    public static RichText svg(String text) {
        return new RichText("image/svg+xml", text);
    }

    public static RichText json(String text) {
        return new RichText("application/json", text);
    }

    public static RichText latex(String text) {
        return new RichText("text/latex", text);
    }
}
