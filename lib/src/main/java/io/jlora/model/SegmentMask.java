package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The additive attention mask of a packed row (0 where a query may look, -infinity elsewhere):
 * block-diagonal causal, one block per example, so that no example attends to another; a sliding
 * window counts positions within the example. [length, length].
 */
final class SegmentMask {

    private SegmentMask() {}

    static NDArray of(NDManager manager, int[] segments, Integer slidingWindow) {
        int length = 0;
        for (int s : segments) {
            length += s;
        }
        float[] mask = new float[length * length];
        java.util.Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        int start = 0;
        for (int s : segments) {
            for (int i = 0; i < s; i++) {
                int from = slidingWindow == null ? 0 : Math.max(0, i - slidingWindow + 1);
                for (int j = from; j <= i; j++) {
                    mask[(start + i) * length + start + j] = 0f;
                }
            }
            start += s;
        }
        return manager.create(mask).reshape(length, length);
    }
}
