package io.jlora.train;

/** Derived seeds: every random draw of a run follows from the run's seed and where it happens. */
final class Seeds {

    private Seeds() {}

    /** SplitMix64's finalizer over the combination: distinct inputs give unrelated seeds. */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long mix(long a, long b, long c) {
        return mix(mix(a, b), c);
    }
}
