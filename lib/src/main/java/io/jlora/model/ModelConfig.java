package io.jlora.model;

import java.util.List;

/**
 * What the decoder needs to know about a model, read from config.json by
 * {@link ModelConfigReader}. Family-specific defaults are already resolved here (e.g. Qwen2's
 * q/k/v bias), so the decoder only looks at these flags.
 *
 * @param family the model family ({@code model_type})
 * @param hiddenSize width of the residual stream
 * @param layers number of decoder layers
 * @param heads query heads
 * @param kvHeads key/value heads (grouped-query attention when fewer than heads)
 * @param headDim width of one head (not always hidden/heads: Qwen3 sets it)
 * @param intermediateSize width of the SwiGLU MLP
 * @param vocabSize rows of the embedding and of the head
 * @param rmsNormEps epsilon of every RMSNorm
 * @param rope rotary embedding parameters
 * @param maxPositions max_position_embeddings
 * @param tieWordEmbeddings the head reuses the embedding matrix
 * @param qkvBias q_proj, k_proj and v_proj carry a bias
 * @param outputBias o_proj carries a bias
 * @param mlpBias gate/up/down carry a bias
 * @param qkNorm RMSNorm over q and k before rotary: per head (Qwen3, Gemma 3), or over the whole
 *     projection when {@link FamilyOptions#qkNormWhole()} (OLMo 2)
 * @param slidingWindow attention span in tokens of the sliding layers ({@link #slidingLayer}), or null
 *     for full causal attention everywhere
 * @param bosTokenId may be null
 * @param eosTokenIds possibly empty; config.json may give one id or a list
 * @param padTokenId may be null
 * @param torchDtype the dtype the checkpoint declares, informational (may be null)
 * @param options how the family differs from Llama (norm placement, activation, soft-capping, ...)
 */
public record ModelConfig(Family family, int hiddenSize, int layers, int heads, int kvHeads, int headDim,
        int intermediateSize, int vocabSize, double rmsNormEps, RopeConfig rope, int maxPositions,
        boolean tieWordEmbeddings, boolean qkvBias, boolean outputBias, boolean mlpBias, boolean qkNorm,
        Integer slidingWindow, Long bosTokenId, List<Long> eosTokenIds, Long padTokenId, String torchDtype,
        FamilyOptions options) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Does layer {@code i} attend within the sliding window (rather than to every earlier token)? */
    public boolean slidingLayer(int i) {
        return slidingWindow != null && (options.slidingLayers() == null || options.slidingLayers().get(i));
    }

    /** Does layer {@code i} apply rotary positions? (SmolLM3 leaves some without.) */
    public boolean ropeLayer(int i) {
        return options.ropeLayers() == null || options.ropeLayers().get(i);
    }

    /** The rotary parameters of layer {@code i}: the local ones of a sliding layer when the family has them. */
    public RopeConfig ropeOf(int i) {
        return slidingLayer(i) && options.localRope() != null ? options.localRope() : rope;
    }

    /** What attention scores are multiplied by: 1/sqrt(head_dim), or Gemma's 1/sqrt(query_pre_attn_scalar). */
    public double attentionScale() {
        return 1.0 / Math.sqrt(options.queryPreAttnScalar() != null ? options.queryPreAttnScalar() : headDim);
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return heads / kvHeads;
    }

    /** Parameters of the whole model, for size estimates and benchmarks. */
    public long parameterCount() {
        long attn = (long) hiddenSize * heads * headDim * 2 + (long) hiddenSize * kvHeads * headDim * 2;
        if (qkvBias) {
            attn += (long) (heads + 2 * kvHeads) * headDim;
        }
        if (outputBias) {
            attn += hiddenSize;
        }
        if (qkNorm) {
            attn += options.qkNormWhole() ? (long) (heads + kvHeads) * headDim : 2L * headDim;
        }
        long mlp = 3L * hiddenSize * intermediateSize + (mlpBias ? 2L * intermediateSize + hiddenSize : 0);
        long perLayer = attn + mlp + (long) options.norms().perLayer() * hiddenSize;
        long embed = (long) vocabSize * hiddenSize;
        return embed * (tieWordEmbeddings ? 1 : 2) + layers * perLayer + hiddenSize;
    }
}
