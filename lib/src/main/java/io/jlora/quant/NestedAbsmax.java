package io.jlora.quant;

/**
 * Double quantization of the 4-bit blocks' absmax values, as bitsandbytes' {@code quantize_4bit}
 * does it with {@code compress_statistics=True}: the mean is subtracted ({@code offset}), and the
 * centred values are quantized blockwise, 256 to a block, to the signed dynamic 8-bit map.
 *
 * @param codes one uint8 code per 4-bit block (index into {@link DynamicMap#signed()})
 * @param scales the absmax of each block of 256 centred values
 * @param offset the mean of the original absmax values
 */
public record NestedAbsmax(byte[] codes, float[] scales, float offset) {

    /** bitsandbytes' block size for the second quantization. */
    public static final int BLOCK_SIZE = 256;

    private static final Codebook MAP = new Codebook(DynamicMap.signed());

    public static NestedAbsmax quantize(float[] absmax) {
        float offset = mean(absmax);
        float[] centred = new float[absmax.length];
        for (int i = 0; i < absmax.length; i++) {
            centred[i] = absmax[i] - offset;
        }
        int blocks = (absmax.length + BLOCK_SIZE - 1) / BLOCK_SIZE;
        byte[] codes = new byte[absmax.length];
        float[] scales = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * BLOCK_SIZE;
            int to = Math.min(absmax.length, from + BLOCK_SIZE);
            float max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(centred[i]));
            }
            scales[b] = max;
            float divisor = Math.max(max, Blockwise.MIN_ABSMAX);
            for (int i = from; i < to; i++) {
                codes[i] = (byte) MAP.nearest(Blockwise.clampUnit(centred[i] / divisor));
            }
        }
        return new NestedAbsmax(codes, scales, offset);
    }

    /** The absmax values back: {@code map[code] * scale + offset}, float32 step by step. */
    public float[] dequantize() {
        float[] map = DynamicMap.signed();
        float[] out = new float[codes.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = map[codes[i] & 0xFF] * scales[i / BLOCK_SIZE] + offset;
        }
        return out;
    }

    /**
     * The float32 mean as torch computes it for arrays of this size: the sum, rounded to float32
     * once, divided by the count. Summing in double makes the sum exact to far below a float ulp.
     */
    static float mean(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        return (float) sum / values.length;
    }
}
