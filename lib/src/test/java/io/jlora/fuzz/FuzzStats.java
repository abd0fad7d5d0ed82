package io.jlora.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts of one fuzz target's outcomes, printed and written to {@code target/fuzz-stats/<target>.txt}
 * for bench/fuzz/run.sh. By default the first escape or hang fails the property at once (so that the
 * test command fails and jqwik shrinks it); with {@code -Djlora.fuzz.collect=true} every input runs
 * and the distinct escapes are listed, which is how bugs are hunted in bulk.
 */
final class FuzzStats {

    private static final boolean COLLECT = Boolean.getBoolean("jlora.fuzz.collect");
    private static final int KEPT_DETAILS = 20;

    private final String target;
    private final Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
    /** Distinct escape details (by their first line) with how often each came. */
    private final Map<String, Long> problems = new LinkedHashMap<>();
    /** The first input that showed each problem, to reproduce it. */
    private final Map<String, String> firstInputs = new LinkedHashMap<>();
    /** A sample of refusal messages, shown when collecting, to see which checks the inputs reach. */
    private final java.util.Set<String> refusals = new java.util.LinkedHashSet<>();
    private final long started = System.nanoTime();

    FuzzStats(String target) {
        this.target = target;
        for (Outcome o : Outcome.values()) {
            counts.put(o, 0L);
        }
    }

    /** Records one verdict; throws an AssertionError for an escape or hang unless collecting. */
    synchronized void record(Verdict v, String input) {
        counts.merge(v.outcome(), 1L, Long::sum);
        if (v.outcome() == Outcome.REFUSED && COLLECT && refusals.size() < KEPT_DETAILS) {
            String m = v.detail();
            refusals.add(m.substring(0, Math.min(160, m.length())).replace('\n', ' '));
        }
        if (v.outcome() == Outcome.ESCAPED || v.outcome() == Outcome.HUNG) {
            String key = v.outcome() + " " + v.detail();
            if (problems.containsKey(key) || problems.size() < KEPT_DETAILS) {
                problems.merge(key, 1L, Long::sum);
                firstInputs.putIfAbsent(key, input);
            }
            if (!COLLECT) {
                throw new AssertionError(target + ": " + v.outcome() + " on input " + input + ": " + v.detail());
            }
        }
    }

    synchronized long count(Outcome o) {
        return counts.get(o);
    }

    /** One summary line plus the distinct problems; also written for the benchmark script. */
    synchronized String report() {
        long inputs = counts.values().stream().mapToLong(Long::longValue).sum();
        double seconds = (System.nanoTime() - started) / 1e9;
        StringBuilder sb = new StringBuilder(String.format(
                "fuzz %-12s inputs=%d accepted=%d refused=%d escapes=%d hangs=%d seconds=%.1f%n", target, inputs,
                counts.get(Outcome.ACCEPTED), counts.get(Outcome.REFUSED), counts.get(Outcome.ESCAPED),
                counts.get(Outcome.HUNG), seconds));
        problems.forEach((p, n) -> sb.append("  ").append(n).append("x ").append(p).append(" (first on ")
                .append(firstInputs.get(p)).append(")\n"));
        refusals.forEach(m -> sb.append("  refused: ").append(m).append('\n'));
        return sb.toString();
    }

    /** Prints the report and writes it under target/fuzz-stats (the module's build folder). */
    void publish() {
        String text = report();
        System.out.print(text);
        Path dir = Path.of(System.getProperty("basedir", "."), "target", "fuzz-stats");
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(target + ".txt"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The escapes and hangs seen, for a final assertion when collecting. */
    synchronized List<String> problems() {
        return new ArrayList<>(problems.keySet());
    }
}
