package io.jlora.kernel.execution;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a cell's exception as a traceback a notebook user can read: the cell's own frames named by
 * cell and line, library frames kept, and the kernel's machinery below the cell (JShell, reflection,
 * jlora's kernel) trimmed away. Causes are shown after the exception, as Java does.
 */
final class TraceFormatter {
    /** Where a snippet sits: which cell, and the cell line its first line is on. */
    record Origin(String cell, int firstLine) {
    }

    private static final String RED = "\u001B[31m", CYAN = "\u001B[36m", RESET = "\u001B[0m";
    private static final String REPL_PACKAGE = "REPL.";

    private final Map<String, Origin> origins;

    TraceFormatter(Map<String, Origin> origins) {
        this.origins = origins;
    }

    List<String> format(Throwable error) {
        List<String> lines = new ArrayList<>();
        Throwable current = error;
        String prefix = "";
        for (int depth = 0; current != null && depth < 8; depth++, current = current.getCause()) {
            lines.add(prefix + RED + className(current) + RESET
                    + (current.getMessage() != null ? ": " + cleanMessage(current.getMessage()) : ""));
            for (StackTraceElement frame : userVisible(current.getStackTrace())) lines.add("    at " + describe(frame));
            prefix = "Caused by: ";
            if (current.getCause() == current) break;
        }
        return lines;
    }

    /** JShell's EvalException stands for the cell's exception and carries its class name. */
    static String className(Throwable t) {
        return t instanceof jdk.jshell.EvalException ev ? ev.getExceptionClassName() : t.getClass().getName();
    }

    /** Helpful NullPointerException messages name JShell's wrapper classes; users know the bare names. */
    static String cleanMessage(String message) {
        return message == null ? null : message.replaceAll("REPL\\.\\$JShell\\$\\d+[A-Za-z]?\\.", "");
    }

    /** Frames down to the outermost cell frame; everything under it is the kernel calling the cell. */
    private static List<StackTraceElement> userVisible(StackTraceElement[] frames) {
        int last = -1;
        for (int i = 0; i < frames.length; i++) if (isCellFrame(frames[i])) last = i;
        List<StackTraceElement> kept = new ArrayList<>();
        int end = last >= 0 ? last + 1 : frames.length;
        for (int i = 0; i < end; i++) {
            if (last < 0 && isKernelMachinery(frames[i])) break;
            kept.add(frames[i]);
        }
        return kept;
    }

    /** JShell's translated frames name the snippet as file "#id"; untranslated ones keep the REPL class. */
    private static boolean isCellFrame(StackTraceElement frame) {
        String file = frame.getFileName();
        return frame.getClassName().startsWith(REPL_PACKAGE) || file != null && file.startsWith("#");
    }

    private static boolean isKernelMachinery(StackTraceElement frame) {
        String c = frame.getClassName();
        return c.startsWith("jdk.jshell.") || c.startsWith("io.jlora.kernel.") || c.startsWith("jdk.internal.reflect.")
                || c.startsWith("java.lang.reflect.");
    }

    private String describe(StackTraceElement frame) {
        if (!isCellFrame(frame)) return frame.toString();
        String file = frame.getFileName();
        String method = frame.getMethodName().isEmpty() || frame.getMethodName().startsWith("do_it$") ? "<cell>" : frame.getMethodName();
        if (file != null && !file.startsWith("#")) {
            // a frame JShell did not translate (a re-run of compiled code): the cell is known, its line is not
            Origin origin = origins.get(frame.getClassName());
            return CYAN + method + RESET + " (" + (origin != null ? origin.cell() : file) + ")";
        }
        Origin origin = file != null ? origins.get(file.substring(1)) : null;
        if (origin == null) return CYAN + method + RESET + " (" + file + ":" + frame.getLineNumber() + ")";
        int line = origin.firstLine() + Math.max(0, frame.getLineNumber() - 1);
        return CYAN + method + RESET + " (" + origin.cell() + ", line " + line + ")";
    }
}
