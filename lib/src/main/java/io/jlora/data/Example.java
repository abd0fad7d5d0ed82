package io.jlora.data;

/**
 * One tokenized training sequence: input ids and labels of the same length, labels being the ids
 * where the loss counts and -100 elsewhere (prompts, padding). Not yet padded.
 *
 * @param line the line of the record it came from (for tracing a bad example back), 0 if none
 * @param segments for a packed row ({@link Packing}), the lengths of the examples it concatenates,
 *     each with its own positions and attention; null for a single example
 */
public record Example(long[] inputIds, long[] labels, long line, int[] segments) {

    public static final long IGNORE = -100;

    public Example {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("ids and labels differ in length: " + inputIds.length + " vs " + labels.length);
        }
        if (segments != null && java.util.Arrays.stream(segments).sum() != inputIds.length) {
            throw new IllegalArgumentException("segments do not add up to the " + inputIds.length + " ids");
        }
    }

    /** A single example. */
    public Example(long[] inputIds, long[] labels, long line) {
        this(inputIds, labels, line, null);
    }

    /** Every token trained. */
    public static Example of(long[] ids) {
        return new Example(ids, ids.clone(), 0);
    }

    public int length() {
        return inputIds.length;
    }

    /** Whether this row packs examples (trained padding-free, each with its own positions). */
    public boolean packed() {
        return segments != null;
    }

    /** Tokens whose label counts in the loss (the first position never does: nothing predicts it). */
    public int trainedTokens() {
        int n = 0;
        for (int k = 1; k < labels.length; k++) {
            if (labels[k] != IGNORE) {
                n++;
            }
        }
        return n;
    }
}
