package io.jlora.kernel.execution;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns an OutOfMemoryError into an error report that says the kernel is still running, what was freed
 * and what to do next: the heap limit and how to raise it, or why a raise would not help.
 */
public final class OutOfMemoryAdvice {
    public static final String ENAME = "OutOfMemoryError";
    private static final String RED = "\u001B[31m", RESET = "\u001B[0m";

    private OutOfMemoryAdvice() {
    }

    /**
     * The failure to report for an OutOfMemoryError with {@code message}, keeping the traceback lines
     * already made and adding advice. {@code cleared} names the variables set to null to free memory.
     */
    public static EvalResult.Failure failure(String message, List<String> traceback, List<String> cleared) {
        List<String> lines = new ArrayList<>(traceback.isEmpty() ? List.of(RED + ENAME + RESET + ": " + message) : traceback);
        lines.add("");
        lines.addAll(advice(message, cleared, Runtime.getRuntime().maxMemory()));
        return new EvalResult.Failure(ENAME, message + " (the kernel is still running)", lines);
    }

    static List<String> advice(String message, List<String> cleared, long maxHeapBytes) {
        List<String> lines = new ArrayList<>();
        lines.add("The kernel is still running; what the cell held in local variables has been freed.");
        if (!cleared.isEmpty()) {
            lines.add("The variables this cell declared were set to null to free their memory: " + String.join(", ", cleared) + ".");
        }
        String text = message == null ? "" : message;
        if (text.contains("Requested array size exceeds VM limit")) {
            lines.add("A Java array holds at most about 2^31 elements whatever the heap size: split the data into several arrays.");
        } else if (text.contains("Direct buffer memory")) {
            lines.add("Direct (off-heap) buffers are limited by -XX:MaxDirectMemorySize; raise it as below.");
            lines.add(raiseHint("-XX:MaxDirectMemorySize=8g"));
        } else {
            lines.add("The kernel's Java heap is limited to " + (maxHeapBytes >> 20) + " MiB (-Xmx)."
                    + " Free memory by setting large variables of earlier cells to null, or raise the limit:");
            lines.add(raiseHint("-Xmx8g"));
        }
        return lines;
    }

    private static String raiseHint(String option) {
        return "    bin/jlora install-kernel --jvm-option " + option + " (with the --name/--user/--prefix you installed with),"
                + " then restart the kernel";
    }
}
