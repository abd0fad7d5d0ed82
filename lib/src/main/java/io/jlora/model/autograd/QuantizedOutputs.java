package io.jlora.model.autograd;

import io.jlora.model.ModelConfig;
import java.util.Locale;

/**
 * Which outputs of on-demand projections (4-bit, int8 or float16 storage) the first pass of
 * gradient checkpointing keeps for the recomputation ({@link ProjectionCuts.Kept}), as PyTorch's
 * selective checkpointing policies name the ops whose outputs are saved. A kept output spares the
 * recomputation a dequantization and a GEMM, at its size in float32; the rest is recomputed.
 * Float bases always keep all of theirs.
 *
 * <p>Every recomputed output costs the same GEMM work per value kept (its input width), so a policy
 * trades memory for time in proportion, and the memory grows with the tokens of a micro-batch: at
 * Llama 3.2 1B and 512 tokens all of them take 46 MiB a layer (736 MiB), the attention block's 10
 * MiB; at 8B and 2048 tokens all take 10.5 GiB. So the default, {@link #AUTO}, keeps as much as fits
 * in {@link #AUTO_BUDGET_BYTES}: all, else the attention block's, else none (bench/train/README.md).
 */
public enum QuantizedOutputs {
    /** Recompute every one: the least memory. */
    NONE,
    /**
     * Keep those of the attention block's projections ({@code .self_attn.} in the module path): q, k,
     * v and o, a fifth of the values at Llama's shapes, sparing about a quarter of the recomputation.
     */
    ATTENTION,
    /** Keep every one: a recomputation with no quantized GEMM, at the most memory. */
    ALL,
    /** ALL, ATTENTION or NONE per micro-batch: the first whose outputs fit in {@link #AUTO_BUDGET_BYTES}. */
    AUTO;

    /**
     * What {@link #AUTO} lets kept outputs take: 1 GiB, about what a 1B QLoRA step needs besides its
     * weights, and a quarter of what the 4-bit weights of an 8B model take.
     */
    public static final long AUTO_BUDGET_BYTES = 1L << 30;

    /** The part of a module path that puts a projection in the attention block (every family's naming). */
    private static final String ATTENTION_MODULE = ".self_attn.";

    /** Whether the output of the projection at module {@code path} is kept (AUTO: resolve it first). */
    public boolean keeps(String path) {
        return switch (this) {
            case NONE -> false;
            case ATTENTION -> path.contains(ATTENTION_MODULE);
            case ALL -> true;
            case AUTO -> throw new IllegalStateException("resolve AUTO for the micro-batch first");
        };
    }

    /** This policy for a micro-batch of {@code tokens} on model {@code c}: AUTO resolved by the budget, others as they are. */
    public QuantizedOutputs resolve(ModelConfig c, long tokens) {
        // the reader always resolves head_dim (hidden / heads when the config leaves it out)
        return resolve(c.layers(), tokens, (long) c.heads() * c.headDim(), (long) c.kvHeads() * c.headDim(), c.hiddenSize(),
                c.intermediateSize());
    }

    /** As {@link #resolve(ModelConfig, long)} for a decoder of these sizes. */
    public QuantizedOutputs resolve(long layers, long tokens, long qOut, long kvOut, long hidden, long intermediate) {
        if (this != AUTO) {
            return this;
        }
        for (QuantizedOutputs which : new QuantizedOutputs[] {ALL, ATTENTION}) {
            if (4 * layers * tokens * which.valuesPerToken(qOut, kvOut, hidden, intermediate) <= AUTO_BUDGET_BYTES) {
                return which;
            }
        }
        return NONE;
    }

    /**
     * Values a decoder layer keeps per token (NONE, ATTENTION, ALL): q, k, v and o outputs, and with
     * ALL also the MLP's gate, up and down (AUTO: resolve it first).
     */
    public long valuesPerToken(long qOut, long kvOut, long hidden, long intermediate) {
        long attention = qOut + 2 * kvOut + hidden;
        return switch (this) {
            case NONE -> 0;
            case ATTENTION -> attention;
            case ALL -> attention + 2 * intermediate + hidden;
            case AUTO -> throw new IllegalStateException("resolve AUTO for the micro-batch first");
        };
    }

    /**
     * auto, none, attention or all (any case); true and false, the option's earlier values, mean all
     * and none. Throws IllegalArgumentException listing the values otherwise.
     */
    public static QuantizedOutputs parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "true" -> ALL;
            case "false" -> NONE;
            case "auto", "none", "attention", "all" -> valueOf(t.toUpperCase(Locale.ROOT));
            default -> throw new IllegalArgumentException("must be auto, none, attention or all, not " + text);
        };
    }
}
