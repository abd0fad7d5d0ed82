package io.jlora.quant;

import java.util.Arrays;

/**
 * bitsandbytes' signed dynamic 8-bit map ({@code create_dynamic_map(signed=True)}), the code of
 * its 8-bit blockwise quantization and so of double quantization: 256 values in [-1, 1] spaced
 * densely near zero (a sign, a run of zeros as exponent, then a linear fraction).
 *
 * <p>Rebuilt the way bitsandbytes computes it in torch, float32 step by step, so that the table
 * is bit-identical to the reference's: {@code torch.linspace(0.1, 1, n)} (which evaluates
 * {@code start + step * i} as one fused multiply-add on the CPU), means of neighbours, and
 * {@code 10^e * means} as a float32 tensor op.
 */
public final class DynamicMap {

    private static final float[] SIGNED = build();

    private DynamicMap() {}

    /** The 256 values, ascending; index 127 is 0 and index 255 is 1. */
    public static float[] signed() {
        return SIGNED.clone();
    }

    private static float[] build() {
        final int maxExponentBits = 7;
        final double[] powersOfTen = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
        double[] data = new double[256];
        int n = 0;
        for (int i = 0; i < maxExponentBits; i++) {
            int fractionItems = (1 << i) + 1;
            float[] b = linspace(0.1f, 1f, fractionItems);
            float scale = (float) powersOfTen[i];
            for (int j = 0; j + 1 < fractionItems; j++) {
                data[n++] = scale * ((b[j] + b[j + 1]) / 2f);
            }
            for (int j = 0; j + 1 < fractionItems; j++) {
                data[n++] = -scale * ((b[j] + b[j + 1]) / 2f);
            }
        }
        data[n++] = 0;
        data[n++] = 1;
        // with 7 exponent bits the signed map has exactly 256 entries: no zero padding
        Arrays.sort(data, 0, n);
        float[] out = new float[256];
        for (int i = 0; i < n; i++) {
            out[i] = (float) data[i];
        }
        return out;
    }

    /** torch.linspace in float32: the first half counted up from start, the rest down from end. */
    private static float[] linspace(float start, float end, int steps) {
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        float[] out = new float[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = i < halfway ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (steps - i - 1), end);
        }
        return out;
    }
}
