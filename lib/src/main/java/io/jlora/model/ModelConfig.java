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
 * @param qkNorm RMSNorm over each head of q and k before rotary (Qwen3)
 * @param slidingWindow attention span in tokens, or null for full causal attention
 * @param bosTokenId may be null
 * @param eosTokenIds possibly empty; config.json may give one id or a list
 * @param padTokenId may be null
 * @param torchDtype the dtype the checkpoint declares, informational (may be null)
 */
public record ModelConfig(Family family, int hiddenSize, int layers, int heads, int kvHeads, int headDim,
        int intermediateSize, int vocabSize, double rmsNormEps, RopeConfig rope, int maxPositions,
        boolean tieWordEmbeddings, boolean qkvBias, boolean outputBias, boolean mlpBias, boolean qkNorm,
        Integer slidingWindow, Long bosTokenId, List<Long> eosTokenIds, Long padTokenId, String torchDtype) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
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
            attn += 2L * headDim;
        }
        long mlp = 3L * hiddenSize * intermediateSize + (mlpBias ? 2L * intermediateSize + hiddenSize : 0);
        long perLayer = attn + mlp + 2L * hiddenSize;
        long embed = (long) vocabSize * hiddenSize;
        return embed * (tieWordEmbeddings ? 1 : 2) + layers * perLayer + hiddenSize;
    }
}
