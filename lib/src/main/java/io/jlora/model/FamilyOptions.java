package io.jlora.model;

import java.util.List;

/**
 * How a family's decoder differs from Llama's, as options of the one decoder: read from config.json
 * by {@link ModelConfigReader}, used by the layers. {@link #LLAMA} is the plain pre-norm SwiGLU
 * decoder (Llama, Mistral, Qwen2, Qwen3).
 *
 * @param scaledEmbedding token embeddings are multiplied by sqrt(hidden) (Gemma)
 * @param normPlusOne every RMSNorm scales by (1 + weight) (Gemma)
 * @param activation of the gated MLP
 * @param norms where a layer's RMSNorms sit
 * @param queryPreAttnScalar scores are scaled by its inverse square root instead of head_dim's (Gemma), or null
 * @param attnSoftcap attention scores become cap * tanh(scores / cap) before the mask (Gemma 2), or null
 * @param finalSoftcap logits become cap * tanh(logits / cap) (Gemma 2), or null
 * @param qkNormWhole q/k RMSNorm over the whole projection instead of per head (OLMo 2)
 * @param fusedProjections q/k/v in one {@code qkv_proj} and gate/up in one {@code gate_up_proj} (Phi-3)
 * @param slidingLayers per layer, whether it attends within the sliding window (transformers'
 *     {@code layer_types}); null: every layer does when the config has a window (Mistral, Phi-3)
 * @param localRope rotary parameters of sliding layers (Gemma 3's local base), or null for the global ones
 * @param ropeLayers per layer, whether it applies rotary positions (SmolLM3's {@code no_rope_layers}); null: all
 * @param modulePrefix module path of the text model: {@code model.} ({@code model.language_model.} for the text
 *     tower of a multimodal Gemma 3)
 */
public record FamilyOptions(boolean scaledEmbedding, boolean normPlusOne, Activation activation, NormPlacement norms,
        Double queryPreAttnScalar, Double attnSoftcap, Double finalSoftcap, boolean qkNormWhole,
        boolean fusedProjections, List<Boolean> slidingLayers, RopeConfig localRope, List<Boolean> ropeLayers,
        String modulePrefix) {

    /** The gated MLP's activation: silu (SwiGLU) or gelu with the tanh approximation (GeGLU). */
    public enum Activation { SILU, GELU_TANH }

    /**
     * PRE: input_layernorm before attention, post_attention_layernorm before the MLP (Llama).
     * SANDWICH: those two plus post_attention_layernorm on the attention output and pre/post_feedforward
     * norms around the MLP (Gemma). POST: only post_attention_layernorm and post_feedforward_layernorm,
     * on the branch outputs (OLMo 2).
     */
    public enum NormPlacement {
        PRE(2), SANDWICH(4), POST(2);

        private final int perLayer;

        NormPlacement(int perLayer) {
            this.perLayer = perLayer;
        }

        /** RMSNorms of hidden width in one layer. */
        public int perLayer() {
            return perLayer;
        }
    }

    public static final FamilyOptions LLAMA = new FamilyOptions(false, false, Activation.SILU, NormPlacement.PRE, null,
            null, null, false, false, null, null, null, "model.");

    public FamilyOptions {
        slidingLayers = slidingLayers == null ? null : List.copyOf(slidingLayers);
        ropeLayers = ropeLayers == null ? null : List.copyOf(ropeLayers);
    }
}
