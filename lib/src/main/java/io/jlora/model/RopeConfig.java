package io.jlora.model;

import java.util.List;

/**
 * Rotary position embedding parameters, whichever way config.json spells them (transformers 4:
 * top-level {@code rope_theta} and {@code rope_scaling}; transformers 5: {@code rope_parameters}).
 *
 * @param theta base of the frequencies
 * @param type default, linear or llama3
 * @param factor scaling factor (1 for default)
 * @param lowFreqFactor llama3 only
 * @param highFreqFactor llama3 only
 * @param originalMaxPositions llama3 and longrope: the context length the model was pre-trained with
 * @param partialRotaryFactor the share of each head that rotates (Phi-4-mini 0.75; 1 for most)
 * @param longRope longrope's factors, or null for the other types
 */
public record RopeConfig(double theta, Type type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositions, double partialRotaryFactor, LongRope longRope) {

    public enum Type { DEFAULT, LINEAR, LLAMA3, LONGROPE }

    /**
     * Phi-3's LongRoPE: each frequency divided by its short factor while a forward's positions stay
     * within the original context, by its long factor past it; cos and sin scaled by
     * {@code attentionFactor}.
     */
    public record LongRope(List<Double> shortFactor, List<Double> longFactor, double attentionFactor) {
        public LongRope {
            shortFactor = List.copyOf(shortFactor);
            longFactor = List.copyOf(longFactor);
        }
    }

    public RopeConfig(double theta, Type type, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
        this(theta, type, factor, lowFreqFactor, highFreqFactor, originalMaxPositions, 1.0, null);
    }

    public static RopeConfig plain(double theta) {
        return new RopeConfig(theta, Type.DEFAULT, 1.0, 0, 0, 0);
    }

    /** The same rotary with only {@code factor} of each head's dimensions rotating. */
    public RopeConfig withPartialRotary(double factor) {
        return new RopeConfig(theta, type, this.factor, lowFreqFactor, highFreqFactor, originalMaxPositions, factor,
                longRope);
    }

    /** The dimensions of a head of {@code headDim} that rotate, as transformers rounds them. */
    public int rotaryDim(int headDim) {
        return (int) (headDim * partialRotaryFactor);
    }

    /** Does a forward over positions [0, length) use longrope's long factors? */
    public boolean longFactors(long length) {
        return type == Type.LONGROPE && length > originalMaxPositions;
    }

    /** What cos and sin are multiplied by: longrope's attention factor, else 1. */
    public double attentionScaling() {
        return longRope == null ? 1.0 : longRope.attentionFactor();
    }

    /**
     * The inverse frequencies for a head of {@code headDim}, one per pair of dimensions, computed as
     * transformers' {@code ROPE_INIT_FUNCTIONS} do, in float32 like torch.
     */
    public float[] inverseFrequencies(int headDim) {
        return inverseFrequencies(headDim, false);
    }

    /**
     * As {@link #inverseFrequencies(int)}, one per pair of the {@link #rotaryDim rotating} dimensions;
     * {@code longContext} picks longrope's long factors.
     */
    public float[] inverseFrequencies(int headDim, boolean longContext) {
        int dim = rotaryDim(headDim);
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), all in float32
            float exponent = (float) (2 * i) / dim;
            inv[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        switch (type) {
            case LONGROPE:
                List<Double> ext = longContext ? longRope.longFactor() : longRope.shortFactor();
                for (int i = 0; i < inv.length; i++) {
                    // 1 / (ext * base ** x), the product in float32
                    float power = (float) Math.pow(theta, (float) (2 * i) / dim);
                    inv[i] = 1f / (ext.get(i).floatValue() * power);
                }
                return inv;
            case LINEAR:
                // transformers divides positions by the factor; dividing the frequencies is the same product
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = (float) (inv[i] / factor);
                }
                return inv;
            case LLAMA3:
                return llama3(inv);
            default:
                return inv;
        }
    }

    /**
     * Llama 3.1's scaling: long wavelengths (beyond the original context) are slowed by
     * {@code factor}, short ones kept, the band between interpolated smoothly.
     */
    private float[] llama3(float[] inv) {
        double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
        double highFreqWavelen = originalMaxPositions / highFreqFactor;
        float[] out = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            double scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            out[i] = (float) scaled;
        }
        return out;
    }
}
