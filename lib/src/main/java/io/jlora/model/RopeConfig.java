package io.jlora.model;

/**
 * Rotary position embedding parameters, whichever way config.json spells them (transformers 4:
 * top-level {@code rope_theta} and {@code rope_scaling}; transformers 5: {@code rope_parameters}).
 *
 * @param theta base of the frequencies
 * @param type default, linear or llama3
 * @param factor scaling factor (1 for default)
 * @param lowFreqFactor llama3 only
 * @param highFreqFactor llama3 only
 * @param originalMaxPositions llama3 only: the context length the model was pre-trained with
 */
public record RopeConfig(double theta, Type type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositions) {

    public enum Type { DEFAULT, LINEAR, LLAMA3 }

    public static RopeConfig plain(double theta) {
        return new RopeConfig(theta, Type.DEFAULT, 1.0, 0, 0, 0);
    }

    /**
     * The inverse frequencies for a head of {@code headDim}, one per pair of dimensions, computed as
     * transformers' {@code ROPE_INIT_FUNCTIONS} do, in float32 like torch.
     */
    public float[] inverseFrequencies(int headDim) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), all in float32
            float exponent = (float) (2 * i) / headDim;
            inv[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        switch (type) {
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
