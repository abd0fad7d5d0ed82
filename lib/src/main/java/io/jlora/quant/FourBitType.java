package io.jlora.quant;

import io.jlora.EnumLabels;
import io.jlora.JloraException;

/**
 * The two 4-bit data types of bitsandbytes, each a table of 16 code values in [-1, 1]: a weight
 * is stored as the index of the code nearest to it divided by its block's absmax.
 */
public enum FourBitType {

    /**
     * NormalFloat4 (QLoRA paper): quantiles of a standard normal, so that normally distributed
     * weights use every code about equally. bitsandbytes' table, value for value.
     */
    NF4("nf4", new double[] {-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534,
        0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434,
        0.5626170039176941, 0.7229568362236023, 1.0}),

    /**
     * FP4 E2M1 as bitsandbytes lays it out (index = sign bit, 2 exponent bits, 1 mantissa bit),
     * divided by its largest magnitude 12 so that it spans [-1, 1]. Index 8 is -0.
     */
    FP4("fp4", divided(new double[] {0, 0.0625, 8, 12, 4, 6, 2, 3, -0.0, -0.0625, -8, -12, -4, -6, -2, -3}, 12));

    private final String label;
    private final float[] code;

    FourBitType(String label, double[] values) {
        this.label = label;
        this.code = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            // Python builds these as doubles and torch rounds them to float32: round the same way
            code[i] = (float) values[i];
        }
    }

    /** The 16 code values, indexed by the 4-bit code. */
    public float[] code() {
        return code.clone();
    }

    /** bitsandbytes' name: nf4 or fp4. */
    public String label() {
        return label;
    }

    public static FourBitType parse(String label) {
        return EnumLabels.findIgnoringCase(FourBitType.class, FourBitType::label, label)
                .orElseThrow(() -> new JloraException("4-bit type '" + label + "' is not one of "
                        + EnumLabels.list(FourBitType.class, FourBitType::label)));
    }

    private static double[] divided(double[] values, double by) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] / by;
        }
        return out;
    }
}
