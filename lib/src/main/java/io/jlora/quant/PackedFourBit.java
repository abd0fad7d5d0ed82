package io.jlora.quant;

import java.util.Arrays;

/**
 * A 4-bit quantized weight in Java memory, laid out as bitsandbytes stores it: two codes a byte,
 * the first in the high nibble, over the row-major flattening of {@code shape}; one absmax per
 * block, either plain ({@code absmax}) or double-quantized ({@code nested}), never both.
 */
public record PackedFourBit(FourBitSpec spec, long[] shape, byte[] packed, float[] absmax, NestedAbsmax nested) {

    public PackedFourBit {
        if ((absmax == null) == (nested == null)) {
            throw new IllegalArgumentException("exactly one of absmax and nested absmax must be given");
        }
        if (packed.length != (count(shape) + 1) / 2) {
            throw new IllegalArgumentException("packed holds " + packed.length + " bytes for " + count(shape) + " values");
        }
    }

    /** Number of weights. */
    public long count() {
        return count(shape);
    }

    public int blocks() {
        return Blockwise.blocks(count(), spec.blockSize());
    }

    /** The absmax of every block as the dequantization uses it (after double quantization, if any). */
    public float[] blockAbsmax() {
        return nested != null ? nested.dequantize() : absmax.clone();
    }

    /** The weights back, row-major: {@code code[q] * absmax[block]}. */
    public float[] dequantize() {
        float[] out = new float[Math.toIntExact(count())];
        FourBitDequantizer.dequantize(java.nio.ByteBuffer.wrap(packed), blockAbsmax(), spec.type().code(),
                spec.blockSize(), count(), java.nio.FloatBuffer.wrap(out));
        return out;
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return spec.type().label() + Arrays.toString(shape) + " blocks of " + spec.blockSize()
                + (nested != null ? ", double-quantized" : "");
    }
}
