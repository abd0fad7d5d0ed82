package io.jlora.model;

import io.jlora.model.autograd.VocabChunkedLoss;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.jlora.JloraException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The decoder-only transformer of every supported family, in the spirit of nanoGPT: token
 * embedding, {@code layers} blocks (RMSNorms, rotary GQA attention, gated MLP), a final RMSNorm and
 * the head (its own matrix or the embedding's, when tied). What families change is in
 * {@link FamilyOptions}: Gemma's scaled embedding and final soft-capping live here, per-layer
 * sliding windows and rotary tables in {@link Positions}, the rest in the layers.
 *
 * <p>Every projection is a {@link Linear} in a named {@link LinearSlot}; {@link #linears()} lists
 * them by transformers' module path and {@link #replaceLinear} swaps one (to add an adapter).
 *
 * <p>{@link #forward} allocates its results in the manager of the input ids (each op is written
 * with the per-call array first, so results never land in the weights' manager): open a sub-manager
 * per step, create the ids there, close it after, and nothing leaks. No op is in place, so the
 * forward can run under a {@code GradientCollector}; the base weights never require gradients.
 */
public final class Decoder {

    private final ModelConfig config;
    private final DataType computeType;
    private final NDArray embedTokens;
    private final List<DecoderLayer> layers;
    private final RmsNorm norm;
    private final LinearSlot lmHead;
    private final Linear builtHead;
    private final RotaryEmbedding rotary;
    /** Rotary of the sliding layers when they have their own (Gemma 3's local base), else null. */
    private final RotaryEmbedding localRotary;
    private final Map<String, LinearSlot> slots;
    private final Map<String, NDArray> parameters;

    private Decoder(ModelConfig config, NDArray embedTokens, List<DecoderLayer> layers, RmsNorm norm,
            LinearSlot lmHead, Map<String, LinearSlot> slots, Map<String, NDArray> parameters) {
        this.config = config;
        this.computeType = norm.weight().getDataType();
        this.embedTokens = embedTokens;
        this.layers = layers;
        this.norm = norm;
        this.lmHead = lmHead;
        this.builtHead = lmHead.get();
        this.rotary = new RotaryEmbedding(config.rope(), config.headDim());
        this.localRotary = config.options().localRope() == null ? null
                : new RotaryEmbedding(config.options().localRope(), config.headDim());
        this.slots = slots;
        this.parameters = parameters;
    }

    /** Builds the decoder of {@code c}, taking each weight from {@code w} by its transformers name. */
    public static Decoder build(ModelConfig c, WeightSource w) {
        return build(c, w, LinearFactory.DENSE);
    }

    /**
     * As {@link #build(ModelConfig, WeightSource)}, with each decoder-layer projection made by
     * {@code linears} as its weight is read (to quantize while loading). The embedding and the head
     * stay dense, stored in {@link LinearFactory#embeddingType()}. {@link #parameters()} lists the
     * weights of dense projections only, and the biases of all.
     */
    public static Decoder build(ModelConfig c, WeightSource w, LinearFactory linears) {
        DecoderBuilder b = new DecoderBuilder(c, CheckpointNames.of(c, w), linears);
        DataType frozen = linears.embeddingType();
        String prefix = c.options().modulePrefix();
        NDArray embed = b.param(prefix + "embed_tokens.weight", frozen, c.vocabSize(), c.hiddenSize());
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(b.layer(i));
        }
        RmsNorm norm = b.norm(prefix + "norm.weight", c.hiddenSize());
        NDArray headWeight = c.tieWordEmbeddings() ? embed
                : b.param("lm_head.weight", frozen, c.vocabSize(), c.hiddenSize());
        LinearSlot head = b.slot(linears.head("lm_head", headWeight, null));
        return new Decoder(c, embed, Collections.unmodifiableList(layers), norm, head,
                Collections.unmodifiableMap(b.slots), Collections.unmodifiableMap(b.params));
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * The compute type (float32 on CPU, usually float16 on GPU): that of the norms and activations;
     * a frozen embedding may be stored narrower (see {@link LinearFactory#embeddingType()}).
     */
    public DataType dtype() {
        return computeType;
    }

    public Device device() {
        return embedTokens.getDevice();
    }

    /** The manager that owns the base weights. */
    public NDManager manager() {
        return embedTokens.getManager();
    }

    /** Logits [batch, time, vocab] for input ids [batch, time] (int64), every position. */
    public NDArray forward(NDArray inputIds) {
        return forward(inputIds, null, false);
    }

    /**
     * Logits for {@code inputIds} [batch, time] that follow the {@code cache.length()} tokens in
     * {@code cache} (which receives theirs), for every new position or only the last one.
     */
    public NDArray forward(NDArray inputIds, KvCache cache, boolean lastPositionOnly) {
        int length = Math.toIntExact(inputIds.getShape().get(1));
        long start = cache == null ? 0 : cache.length();
        NDArray x = embed(inputIds);
        Positions p = positions(inputIds.getManager(), start, length);
        for (int i = 0; i < layers.size(); i++) {
            x = layerForward(i, x, p, cache);
        }
        if (lastPositionOnly) {
            return lmHead(norm.forward(x).get(":, -1:, :"));
        }
        return head(x);
    }

    // ---------------------------------------------------------------- layer by layer (training)
    //
    // forward(ids) is embed, then layer(0..n-1), then head. A trainer that recomputes layers in its
    // backward pass (gradient checkpointing) drives these steps itself, keeping only layer inputs.

    /**
     * What the layers of one pass share: rotary cos/sin of the positions and the causal mask (or
     * null), for the full-attention layers and for the sliding ones ({@code local*} and
     * {@code slidingMask}; the same arrays as the global ones where they do not differ). An array
     * no layer needs may be null.
     */
    public record Positions(NDArray cos, NDArray sin, NDArray mask, NDArray localCos, NDArray localSin,
            NDArray slidingMask) {}

    /** Number of decoder layers. */
    public int layerCount() {
        return layers.size();
    }

    /** Token embeddings [batch, time, hidden] of ids [batch, time], in the ids' manager. */
    public NDArray embed(NDArray inputIds) {
        NDArray rows = Embedding.embedding(inputIds, embedTokens, SparseFormat.DENSE).singletonOrThrow();
        NDArray wide = rows.toType(computeType, false);
        if (wide != rows) {
            rows.close();
        }
        if (!config.options().scaledEmbedding()) {
            return wide;
        }
        // Gemma: times sqrt(hidden), rounded to the compute type as transformers' embed_scale buffer is;
        // a libtorch scalar, safe under autograd
        NDArray scale = wide.getManager().full(new Shape(), (float) Math.sqrt(config.hiddenSize()), computeType);
        NDArray scaled = wide.mul(scale);
        wide.close();
        return scaled;
    }

    /** Rotary tables and causal mask for positions [start, start+length), owned by {@code m}. */
    public Positions positions(NDManager m, long start, int length) {
        NDList cosSin = rotary.cosSin(m, start, length, dtype());
        NDList local = localRotary == null || !anySlidingLayer() ? cosSin : localRotary.cosSin(m, start, length, dtype());
        NDArray full = anyFullLayer() ? CausalMask.of(m, start, length, null) : null;
        NDArray sliding = anySlidingLayer() ? CausalMask.of(m, start, length, config.slidingWindow()) : null;
        return new Positions(cosSin.get(0), cosSin.get(1), full, local.get(0), local.get(1), sliding);
    }

    private boolean anySlidingLayer() {
        for (int i = 0; i < layers.size(); i++) {
            if (config.slidingLayer(i)) {
                return true;
            }
        }
        return false;
    }

    private boolean anyFullLayer() {
        for (int i = 0; i < layers.size(); i++) {
            if (!config.slidingLayer(i)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Does generation have to drop its cache before the token at position {@code total - 1}, with
     * {@code cached} positions cached? LongRoPE's frequencies change once a sequence passes the
     * original context, so the cached keys no longer fit: Phi-3's generation drops its cache there,
     * and the whole sequence is recomputed with the long factors (as generating without a cache does).
     */
    public boolean restartsCache(long cached, long total) {
        RopeConfig rope = config.rope();
        return cached > 0 && rope.type() == RopeConfig.Type.LONGROPE && !rope.longFactors(cached)
                && rope.longFactors(total);
    }

    /**
     * Rotary tables and mask for a packed row: examples of lengths {@code segments} side by side,
     * positions restarting at 0 for each, attention causal within each and never across
     * ({@link SegmentMask}), so that each example gets what it gets alone.
     */
    public Positions packedPositions(NDManager m, int[] segments) {
        int length = java.util.Arrays.stream(segments).sum();
        float[] positions = new float[length];
        for (int s = 0, at = 0; s < segments.length; at += segments[s++]) {
            for (int k = 0; k < segments[s]; k++) {
                positions[at + k] = k;
            }
        }
        NDList cosSin = rotary.cosSin(m, positions, dtype());
        NDList local = localRotary == null || !anySlidingLayer() ? cosSin : localRotary.cosSin(m, positions, dtype());
        NDArray full = anyFullLayer() ? SegmentMask.of(m, segments, null) : null;
        NDArray sliding = anySlidingLayer() ? SegmentMask.of(m, segments, config.slidingWindow()) : null;
        return new Positions(cosSin.get(0), cosSin.get(1), full, local.get(0), local.get(1), sliding);
    }

    /** Layer {@code i} on hidden states x [batch, time, hidden] (no cache); the result is in x's manager. */
    public NDArray layer(int i, NDArray x, Positions p) {
        return layerForward(i, x, p, null);
    }

    /** Layer {@code i} with its mask (sliding or full) and rotary (local, global or none). */
    private NDArray layerForward(int i, NDArray x, Positions p, KvCache cache) {
        boolean sliding = config.slidingLayer(i);
        NDArray cos = !config.ropeLayer(i) ? null : sliding ? p.localCos() : p.cos();
        NDArray sin = !config.ropeLayer(i) ? null : sliding ? p.localSin() : p.sin();
        return layers.get(i).forward(x, cos, sin, sliding ? p.slidingMask() : p.mask(), cache);
    }

    /** Final norm and head: logits [batch, time, vocab] of the last layer's output x. */
    public NDArray head(NDArray x) {
        return lmHead(norm.forward(x));
    }

    /** lm_head alone on the final norm's output: logits [batch, time, vocab] (soft-capped where the family does). */
    public NDArray lmHead(NDArray normed) {
        NDArray logits = lmHead.forward(normed);
        Double cap = config.options().finalSoftcap();
        if (cap == null) {
            return logits;
        }
        // Gemma 2: cap * tanh(logits / cap); libtorch scalars, safe under autograd
        NDArray c = logits.getManager().full(new Shape(), cap.floatValue(), logits.getDataType());
        // logits stay open: an on-demand (float16) head hands them to ProjectionCuts as a cut output
        return logits.div(c).tanh().mul(c);
    }

    /** The final norm alone, on the last layer's output x: the head's input. */
    public NDArray finalNorm(NDArray x) {
        return norm.forward(x);
    }

    /**
     * The causal-LM loss of the head (the scaled sum of {@link CausalLmLoss#tokenLosses}) and its
     * gradient with respect to {@code normed} (the {@link #finalNorm} output), computed in
     * vocabulary blocks ({@link VocabChunkedLoss}); call it with autograd recording off. Null when
     * the head is not the frozen, bias-free matrix the decoder was built with (an adapter on
     * lm_head, a trainable head): the caller then computes the whole logits.
     */
    public VocabChunkedLoss.Result headLoss(NDArray normed, NDArray labels, double scale) {
        Linear head = lmHead.get();
        if (head != builtHead || head.bias() != null || headWeight().hasGradient()
                || config.options().finalSoftcap() != null) {
            return null;
        }
        return VocabChunkedLoss.sumAndGradient(normed, headWeight(), labels, scale);
    }

    /** The head's matrix as stored: the embedding when tied, else lm_head.weight. */
    private NDArray headWeight() {
        return config.tieWordEmbeddings() ? embedTokens : parameters.get("lm_head.weight");
    }

    /** Every projection by module path, in model order (layer by layer, then lm_head). */
    public Map<String, Linear> linears() {
        Map<String, Linear> out = new LinkedHashMap<>();
        slots.forEach((path, slot) -> out.put(path, slot.get()));
        return out;
    }

    /** The projection at {@code path}; throws listing a few valid paths when there is none. */
    public Linear linear(String path) {
        return slot(path).get();
    }

    /** Replaces the projection at {@code path} by {@code wrap} applied to the current one. */
    public Linear replaceLinear(String path, UnaryOperator<Linear> wrap) {
        LinearSlot slot = slot(path);
        Linear replacement = wrap.apply(slot.get());
        slot.set(replacement);
        return replacement;
    }

    /**
     * Base parameters by transformers' name (norms, embedding and the base weights and biases of
     * every projection; no {@code lm_head.weight} when tied), as save_pretrained would list them.
     */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    private LinearSlot slot(String path) {
        LinearSlot slot = slots.get(path);
        if (slot == null) {
            throw new JloraException("no linear layer named '" + path + "'; e.g. "
                    + String.join(", ", new ArrayList<>(slots.keySet()).subList(0, Math.min(3, slots.size()))));
        }
        return slot;
    }
}
