package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Additive attention masks: 0 where a query may look, -infinity where it may not. Query i sits at
 * position {@code start + i}; keys are positions 0..start+length-1 (cached ones first).
 */
final class CausalMask {

    private CausalMask() {}

    /** [length, start+length], or null when nothing is masked (one new token, no window). */
    static NDArray of(NDManager manager, long start, int length, Integer slidingWindow) {
        int keys = (int) (start + length);
        if (length == 1 && (slidingWindow == null || keys <= slidingWindow)) {
            return null;
        }
        float[] mask = new float[length * keys];
        for (int i = 0; i < length; i++) {
            long pos = start + i;
            for (int j = 0; j < keys; j++) {
                boolean future = j > pos;
                boolean tooOld = slidingWindow != null && j <= pos - slidingWindow;
                mask[i * keys + j] = future || tooOld ? Float.NEGATIVE_INFINITY : 0f;
            }
        }
        return manager.create(mask).reshape(length, keys);
    }
}
