package io.jlora.io;

/**
 * float32 to bfloat16 as torch rounds it (to nearest, ties to even), for the writers that produce
 * BF16 checkpoints; the way back is {@link Widening}.
 */
public final class Bfloat16 {

    private Bfloat16() {}

    /** The bfloat16 bits of {@code f}: its upper half, rounded; NaN stays a (quiet) NaN. */
    public static short round(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7FC0; // adding the rounding bias could carry a NaN's payload into infinity
        }
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
