package io.jlora.quant;

/**
 * An int8 weight in Java memory, LLM.int8 style: each output row scaled by its own absmax
 * ({@code rowAbsmax}, bitsandbytes' {@code SCB}), {@code w ~ code * rowAbsmax / 127}.
 */
public record PackedInt8(int rows, int cols, byte[] codes, float[] rowAbsmax) {

    /** The scale of each row: absmax / 127. */
    public static float scale(float rowAbsmax) {
        return rowAbsmax / 127f;
    }

    /** The weights back, row-major. */
    public float[] dequantize() {
        float[] out = new float[codes.length];
        for (int r = 0; r < rows; r++) {
            float s = scale(rowAbsmax[r]);
            for (int c = 0, i = r * cols; c < cols; c++, i++) {
                out[i] = codes[i] * s;
            }
        }
        return out;
    }
}
