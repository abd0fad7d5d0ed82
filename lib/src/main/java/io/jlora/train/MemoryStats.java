package io.jlora.train;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Process memory as Linux reports it in /proc/self/status (VmRSS: resident now, VmHWM: the peak
 * since start or since {@link #resetPeak}), and the bytes of the tensors a manager holds. Off
 * Linux the RSS figures are -1.
 */
public final class MemoryStats {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private MemoryStats() {}

    /** Resident set size now, in bytes, or -1. */
    public static long rssBytes() {
        return field("VmRSS:");
    }

    /** Peak resident set size (high-water mark), in bytes, or -1. */
    public static long peakRssBytes() {
        return field("VmHWM:");
    }

    /**
     * Resets the high-water mark to the current RSS (Linux 4.0+: writing 5 to clear_refs), so
     * that {@link #peakRssBytes} then measures the peak of what follows. False when not possible.
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** Bytes of all arrays owned by {@code manager} and its sub-managers (aliases counted each time). */
    public static long tensorBytes(NDManager manager) {
        if (!(manager instanceof BaseNDManager base)) {
            return -1;
        }
        long total = 0;
        for (NDArray a : base.getManagedArrays()) {
            try {
                total += a.size() * a.getDataType().getNumOfBytes();
            } catch (RuntimeException e) {
                // closed meanwhile
            }
        }
        return total;
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
