package io.jlora.quant;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Finds the code value nearest to a number exactly as the reference does, {@code argmin |x - code|}
 * in float32 with ties going to the lowest index, but in a binary search rather than a scan of
 * every code (quantizing a 7B model touches billions of values).
 */
final class Codebook {

    private final float[] code;
    /** Distinct code values ascending; for equal values (0 and -0) the lowest index is kept. */
    private final float[] sorted;
    private final int[] indexOfSorted;

    Codebook(float[] code) {
        this.code = code.clone();
        Integer[] order = new Integer[code.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> code[i]));
        float[] values = new float[code.length];
        int[] indices = new int[code.length];
        int n = 0;
        for (int i : order) {
            if (n > 0 && values[n - 1] == code[i]) {
                // equal values (the sort puts -0 before 0, which == treats alike): keep the lower index
                indices[n - 1] = Math.min(indices[n - 1], i);
                continue;
            }
            values[n] = code[i];
            indices[n] = i;
            n++;
        }
        this.sorted = Arrays.copyOf(values, n);
        this.indexOfSorted = Arrays.copyOf(indices, n);
    }

    float[] code() {
        return code.clone();
    }

    /** Index of the code value nearest to x. */
    int nearest(float x) {
        // k = the last value <= x (or 0); float subtraction is monotonic, so the nearest value is a
        // neighbour of x; its two neighbours on each side are checked to settle ties by index
        int lo = 0;
        int hi = sorted.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (sorted[mid] <= x) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        int best = -1;
        float bestDistance = Float.POSITIVE_INFINITY;
        for (int k = Math.max(0, lo - 1); k <= Math.min(sorted.length - 1, lo + 2); k++) {
            float d = Math.abs(x - sorted[k]);
            int index = indexOfSorted[k];
            if (d < bestDistance || (d == bestDistance && index < best)) {
                bestDistance = d;
                best = index;
            }
        }
        return best;
    }
}
