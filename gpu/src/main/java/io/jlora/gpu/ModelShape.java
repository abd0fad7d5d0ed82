package io.jlora.gpu;

import io.jlora.model.ModelConfig;

/**
 * The dimensions of a Llama-style decoder that the GPU buffers are sized from (no bias, no
 * qk-norm: Llama, Mistral; Qwen2's q/k/v bias and Qwen3's qk-norm are frozen base weights and do not
 * change the LoRA layout).
 */
public record ModelShape(int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate, int vocab) {

    /** meta-llama/Llama-3.2-1B: the shape issue 20's anchors were measured at. */
    public static final ModelShape LLAMA_3_2_1B = new ModelShape(2048, 16, 32, 8, 64, 8192, 128256);

    public ModelShape {
        if (hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || intermediate <= 0
                || vocab <= 0) {
            throw new IllegalArgumentException("model shape needs positive sizes: " + this);
        }
    }

    public static ModelShape of(ModelConfig c) {
        return new ModelShape(c.hiddenSize(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.intermediateSize(),
                c.vocabSize());
    }

    /** {in, out} features of a decoder-layer linear, by its PEFT module name. */
    public int[] linear(String module) {
        return switch (module) {
            case "q_proj" -> new int[] {hidden, heads * headDim};
            case "k_proj", "v_proj" -> new int[] {hidden, kvHeads * headDim};
            case "o_proj" -> new int[] {heads * headDim, hidden};
            case "gate_proj", "up_proj" -> new int[] {hidden, intermediate};
            case "down_proj" -> new int[] {intermediate, hidden};
            default -> throw new IllegalArgumentException("unknown decoder linear '" + module
                    + "' (expected q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
        };
    }
}
