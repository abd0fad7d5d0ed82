package io.jlora.quant;

/** Arithmetic shared by the blockwise quantizers, written as the reference writes it. */
final class Blockwise {

    /**
     * A block whose values are all zero divides by this instead of 0 (the reference's
     * {@code clamp_min(1e-30)}): its values all get the code nearest 0 and dequantize to 0.
     */
    static final float MIN_ABSMAX = 1e-30f;

    private Blockwise() {}

    /** Scaled values are clamped to [-1, 1] before the code lookup (rounding can exceed it). */
    static float clampUnit(float x) {
        return x < -1f ? -1f : (x > 1f ? 1f : x);
    }

    static int blocks(long count, int blockSize) {
        return Math.toIntExact((count + blockSize - 1) / blockSize);
    }
}
