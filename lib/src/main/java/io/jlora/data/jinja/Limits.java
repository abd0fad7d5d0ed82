package io.jlora.data.jinja;

/**
 * What one render may do, so that a hostile or broken template (a chat template is a file from the
 * model folder) fails with a TemplateException instead of hanging the JVM or exhausting its memory:
 * steps are nodes executed plus loop iterations.
 */
final class Limits {
    static final long MAX_STEPS = 10_000_000;
    /** Characters of one rendered string, and elements of one range() or repetition. */
    static final long MAX_SIZE = 50_000_000;

    private Limits() {}

    /** A size (string length, element count) that a render is about to create. */
    static int checkSize(long size, int line) {
        if (size > MAX_SIZE) {
            throw new TemplateException("template line " + line + ": a value of " + size + " characters or elements"
                    + " is more than jlora renders (" + MAX_SIZE + ")", false);
        }
        return (int) Math.max(0, size);
    }

    /** Python's str * n, refused before allocating when the result would be too long. */
    static String repeat(String x, long n, int line) {
        if (n <= 0 || x.isEmpty()) {
            return "";
        }
        checkSize((double) x.length() * n > MAX_SIZE ? MAX_SIZE + 1 : x.length() * n, line);
        return x.repeat((int) n);
    }
}
