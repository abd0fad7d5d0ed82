package io.jlora.quant;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where the peak resident memory happens (bench/qmem with {@code TRACE=1}): a daemon thread reads
 * the resident set every millisecond and, each time it grows 16 MiB past the highest so far, keeps
 * the watched thread's stack (its io.jlora frames). The last records name the code running at the
 * peak. Diagnostic only: sampling misses spikes shorter than a millisecond.
 */
final class PeakTrace implements AutoCloseable {

    private static final long STEP = 16L << 20;
    private static final long PAGE = 4096;

    private final Thread watched;
    private final Thread sampler;
    private final List<String> records = new ArrayList<>();
    private volatile boolean running = true;

    private PeakTrace(Thread watched) {
        this.watched = watched;
        this.sampler = new Thread(this::sample, "peak-trace");
        sampler.setDaemon(true);
    }

    static PeakTrace start() {
        PeakTrace t = new PeakTrace(Thread.currentThread());
        t.sampler.start();
        return t;
    }

    private void sample() {
        long highest = 0;
        while (running) {
            long rss = rss();
            if (rss > highest + STEP) {
                highest = rss;
                String where = Arrays.stream(watched.getStackTrace())
                        .filter(f -> f.getClassName().startsWith("io.jlora") && !f.getClassName().contains("PeakTrace"))
                        .limit(8).map(f -> f.getClassName().replace("io.jlora.", "") + "." + f.getMethodName() + ":"
                                + f.getLineNumber())
                        .collect(Collectors.joining(" < "));
                synchronized (records) {
                    records.add(String.format(Locale.ROOT, "%.3f GiB (%s; %s)  %s", rss / (double) (1L << 30), split(),
                            mappings(), where));
                }
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** RssAnon / RssFile / RssShmem from /proc/self/status, in MiB. */
    private static String split() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Rss"))
                    .map(l -> l.replaceAll("\\s+", " ").replace(" kB", ""))
                    .map(l -> { String[] kv = l.split(": ?"); return kv[0].substring(3) + " " + Long.parseLong(kv[1].trim()) / 1024; })
                    .collect(Collectors.joining(", ")) + " MiB";
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /**
     * Resident anonymous memory by kind of mapping, MiB: glibc's main heap, mappings of 60 MiB or more
     * (the Java heap, malloc arenas, large tensors), tensor-sized ones (128 KiB to 60 MiB), smaller ones.
     */
    private static String mappings() {
        long heap = 0;
        long large = 0;
        long tensors = 0;
        long small = 0;
        int tensorCount = 0;
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
            String name = "";
            long size = 0;
            for (String l : lines) {
                if (Character.isDigit(l.charAt(0)) || (l.charAt(0) >= 'a' && l.charAt(0) <= 'f' && l.contains("-") && !l.contains(":"))) {
                    String[] f = l.split("\\s+");
                    String[] range = f[0].split("-");
                    size = Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
                    name = f.length > 5 ? f[5] : "";
                } else if (l.startsWith("Anonymous:")) {
                    long kb = Long.parseLong(l.replaceAll("\\D", ""));
                    if (name.equals("[heap]")) {
                        heap += kb;
                    } else if (!name.isEmpty()) {
                        small += kb;
                    } else if (size >= (60L << 20)) {
                        large += kb;
                    } else if (size >= (128L << 10)) {
                        tensors += kb;
                        tensorCount += kb > 0 ? 1 : 0;
                    } else {
                        small += kb;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return "smaps ?";
        }
        return String.format(Locale.ROOT, "brk heap %d, >=60M maps %d, tensor maps %d in %d, other %d MiB", heap >> 10,
                large >> 10, tensors >> 10, tensorCount, small >> 10);
    }

    private static long rss() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
            return Long.parseLong(f[1]) * PAGE;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Stops sampling and prints the last {@code count} records. */
    void print(int count) {
        running = false;
        synchronized (records) {
            System.out.println("  peak trace (resident set, then the training thread's io.jlora frames):");
            records.subList(Math.max(0, records.size() - count), records.size()).forEach(r -> System.out.println("    " + r));
        }
    }

    @Override
    public void close() {
        running = false;
    }
}
