package io.jlora.model.autograd;

import java.util.Locale;

/**
 * Which outputs of on-demand projections (4-bit, int8 or float16 storage) the first pass of
 * gradient checkpointing keeps for the recomputation ({@link ProjectionCuts.Kept}), as PyTorch's
 * selective checkpointing policies name the ops whose outputs are saved. A kept output spares the
 * recomputation a dequantization and a GEMM, at its size in float32; the rest is recomputed.
 * Float bases always keep all of theirs.
 *
 * <p>The default, {@link #ATTENTION}, keeps the attention block's (q, k, v, o: at Llama 3.2 1B
 * 5120 values a token and layer, 10 MiB a layer at 512 tokens) and recomputes the MLP's gate and
 * up (16384 values a token and layer): every recomputed output costs the same GEMM work per value
 * kept (its input width), so the cheaper block to keep saves its share of the recomputation, about
 * a quarter, for a quarter of the memory of keeping all (bench/train/README.md).
 */
public enum QuantizedOutputs {
    /** Recompute every one: the least memory. */
    NONE,
    /** Keep those of the attention block's projections ({@code .self_attn.} in the module path). */
    ATTENTION,
    /** Keep every one: a recomputation with no quantized GEMM, at the most memory. */
    ALL;

    /** The part of a module path that puts a projection in the attention block (every family's naming). */
    private static final String ATTENTION_MODULE = ".self_attn.";

    /** Whether the output of the projection at module {@code path} is kept. */
    public boolean keeps(String path) {
        return switch (this) {
            case NONE -> false;
            case ATTENTION -> path.contains(ATTENTION_MODULE);
            case ALL -> true;
        };
    }

    /**
     * none, attention or all (any case); true and false, the option's earlier values, mean all
     * and none. Throws IllegalArgumentException listing the values otherwise.
     */
    public static QuantizedOutputs parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "true" -> ALL;
            case "false" -> NONE;
            case "none", "attention", "all" -> valueOf(t.toUpperCase(Locale.ROOT));
            default -> throw new IllegalArgumentException("must be none, attention or all, not " + text);
        };
    }
}
