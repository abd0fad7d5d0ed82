package io.jlora.gpu.train;

import io.jlora.gpu.ModelShape;
import io.jlora.model.Family;
import io.jlora.model.FamilyOptions;
import io.jlora.model.ModelConfig;
import io.jlora.model.RopeConfig;
import java.util.EnumSet;
import java.util.Set;

/**
 * What the GPU step needs to know of a decoder beyond its {@link ModelShape}: norm epsilon, attention
 * scale, rotary frequencies, whether the head is the embedding, q/k/v biases (Qwen2) and per-head
 * RMSNorm of q and k (Qwen3). {@link #of} refuses, in one line, what the GPU step does not compute
 * (other families' norm placements and activations, sliding windows shorter than the sequence).
 */
public record DecoderSpec(ModelShape shape, float rmsNormEps, float attentionScale, float[] inverseFrequencies,
        boolean tiedHead, boolean qkvBias, boolean qkNorm) {

    /** The families whose decoder the GPU step computes exactly: pre-norm, SwiGLU, full rotary. */
    public static final Set<Family> FAMILIES = EnumSet.of(Family.LLAMA, Family.MISTRAL, Family.QWEN2, Family.QWEN3);

    public DecoderSpec(ModelShape shape, float rmsNormEps, float attentionScale, float[] inverseFrequencies,
            boolean tiedHead) {
        this(shape, rmsNormEps, attentionScale, inverseFrequencies, tiedHead, false, false);
    }

    /** meta-llama/Llama-3.2-1B's decoder (rope_theta 500000, llama3 scaling, tied head). */
    public static DecoderSpec llama32OneB() {
        RopeConfig rope = new RopeConfig(500000.0, RopeConfig.Type.LLAMA3, 32.0, 1.0, 4.0, 8192);
        ModelShape s = ModelShape.LLAMA_3_2_1B;
        return new DecoderSpec(s, 1e-5f, (float) (1 / Math.sqrt(s.headDim())), rope.inverseFrequencies(s.headDim()),
                true);
    }

    /**
     * The spec of a model folder's config, for sequences of {@code seq} tokens.
     *
     * @throws UnsupportedOperationException naming the config feature the GPU step lacks
     */
    public static DecoderSpec of(ModelConfig c, int seq) {
        FamilyOptions o = c.options();
        String missing = null;
        if (!FAMILIES.contains(c.family())) {
            missing = "model_type " + c.family().modelType() + " (the GPU step computes " + FAMILIES + ")";
        } else if (c.outputBias() || c.mlpBias()) {
            missing = "o_proj or MLP biases";
        } else if (c.qkNorm() && o.qkNormWhole()) {
            missing = "qk-norm over whole projections";
        } else if (c.slidingWindow() != null && c.slidingWindow() < seq) {
            missing = "a sliding window (" + c.slidingWindow() + ") shorter than the sequence (" + seq + ")";
        } else if (c.rope().rotaryDim(c.headDim()) != c.headDim() || c.rope().type() == RopeConfig.Type.LONGROPE) {
            missing = "partial or long rotary embeddings";
        } else if (o.activation() != FamilyOptions.Activation.SILU || o.norms() != FamilyOptions.NormPlacement.PRE
                || o.scaledEmbedding() || o.normPlusOne() || o.attnSoftcap() != null || o.finalSoftcap() != null) {
            missing = "this family's norm placement, activation or soft-capping";
        }
        if (missing != null) {
            throw new UnsupportedOperationException("the GPU step does not compute " + missing + " yet");
        }
        return new DecoderSpec(ModelShape.of(c), (float) c.rmsNormEps(), (float) c.attentionScale(),
                c.rope().inverseFrequencies(c.headDim()), c.tieWordEmbeddings(), c.qkvBias(), c.qkNorm());
    }

    /** cos and sin of every position's angles, {@code [seq, headDim / 2]}, in fp32 as transformers computes them. */
    public float[][] rotaryTables(int seq) {
        int half = inverseFrequencies.length;
        float[] cos = new float[seq * half];
        float[] sin = new float[seq * half];
        for (int p = 0; p < seq; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * inverseFrequencies[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }
}
