package io.jlora.model;

import io.jlora.model.autograd.VocabChunkedLoss;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
 * embedding, {@code layers} pre-norm blocks (RMSNorm, rotary GQA attention, SwiGLU MLP), a final
 * RMSNorm and the head (its own matrix or the embedding's, when tied).
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
        Builder b = new Builder(c, w, linears);
        DataType frozen = linears.embeddingType();
        NDArray embed = b.param("model.embed_tokens.weight", frozen, c.vocabSize(), c.hiddenSize());
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(b.layer(i));
        }
        RmsNorm norm = new RmsNorm(b.param("model.norm.weight", c.hiddenSize()), c.rmsNormEps());
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
        for (DecoderLayer layer : layers) {
            x = layer.forward(x, p.cos(), p.sin(), p.mask(), cache);
        }
        if (lastPositionOnly) {
            return lmHead.forward(norm.forward(x).get(":, -1:, :"));
        }
        return head(x);
    }

    // ---------------------------------------------------------------- layer by layer (training)
    //
    // forward(ids) is embed, then layer(0..n-1), then head. A trainer that recomputes layers in its
    // backward pass (gradient checkpointing) drives these steps itself, keeping only layer inputs.

    /** What every layer of one pass shares: rotary cos/sin of the positions and the causal mask (or null). */
    public record Positions(NDArray cos, NDArray sin, NDArray mask) {}

    /** Number of decoder layers. */
    public int layerCount() {
        return layers.size();
    }

    /** Token embeddings [batch, time, hidden] of ids [batch, time], in the ids' manager. */
    public NDArray embed(NDArray inputIds) {
        NDArray rows = Embedding.embedding(inputIds, embedTokens, SparseFormat.DENSE).singletonOrThrow();
        if (rows.getDataType() == computeType) {
            return rows;
        }
        NDArray wide = rows.toType(computeType, false);
        rows.close();
        return wide;
    }

    /** Rotary tables and causal mask for positions [start, start+length), owned by {@code m}. */
    public Positions positions(NDManager m, long start, int length) {
        NDList cosSin = rotary.cosSin(m, start, length, dtype());
        return new Positions(cosSin.get(0), cosSin.get(1), CausalMask.of(m, start, length, config.slidingWindow()));
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
        return new Positions(cosSin.get(0), cosSin.get(1), SegmentMask.of(m, segments, config.slidingWindow()));
    }

    /** Layer {@code i} on hidden states x [batch, time, hidden] (no cache); the result is in x's manager. */
    public NDArray layer(int i, NDArray x, Positions p) {
        return layers.get(i).forward(x, p.cos(), p.sin(), p.mask(), null);
    }

    /** Final norm and head: logits [batch, time, vocab] of the last layer's output x. */
    public NDArray head(NDArray x) {
        return lmHead.forward(norm.forward(x));
    }

    /** lm_head alone on the final norm's output: logits [batch, time, vocab]. */
    public NDArray lmHead(NDArray normed) {
        return lmHead.forward(normed);
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
        if (head != builtHead || head.bias() != null || headWeight().hasGradient()) {
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

    /** Knows transformers' parameter names; collects slots and parameters while building. */
    private static final class Builder {
        final ModelConfig c;
        final WeightSource w;
        final Map<String, LinearSlot> slots = new LinkedHashMap<>();
        final Map<String, NDArray> params = new LinkedHashMap<>();
        final LinearFactory linears;

        Builder(ModelConfig c, WeightSource w, LinearFactory linears) {
            this.c = c;
            this.w = w;
            this.linears = linears;
        }

        NDArray param(String name, long... shape) {
            return param(name, (DataType) null, shape);
        }

        NDArray param(String name, DataType type, long... shape) {
            NDArray a = w.get(name, type, shape);
            a.setName(name);
            params.put(name, a);
            return a;
        }

        LinearSlot slot(Linear linear) {
            LinearSlot s = new LinearSlot(linear);
            slots.put(linear.path(), s);
            return s;
        }

        LinearSlot linear(String path, long out, long in, boolean bias) {
            if (linears == LinearFactory.DENSE) {
                NDArray weight = param(path + ".weight", out, in);
                NDArray b = bias ? param(path + ".bias", out) : null;
                return slot(new DenseLinear(path, weight, b));
            }
            Linear made = linears.create(path, out, in, bias, w);
            if (made instanceof DenseLinear) {
                named(path + ".weight", made.weight());
            }
            if (made.bias() != null) {
                named(path + ".bias", made.bias());
            }
            return slot(made);
        }

        private void named(String name, NDArray a) {
            a.setName(name);
            params.put(name, a);
        }

        DecoderLayer layer(int i) {
            String p = "model.layers." + i + ".";
            long hidden = c.hiddenSize();
            long qOut = (long) c.heads() * c.headDim();
            long kvOut = (long) c.kvHeads() * c.headDim();
            RmsNorm inputNorm = new RmsNorm(param(p + "input_layernorm.weight", hidden), c.rmsNormEps());
            LinearSlot q = linear(p + "self_attn.q_proj", qOut, hidden, c.qkvBias());
            LinearSlot k = linear(p + "self_attn.k_proj", kvOut, hidden, c.qkvBias());
            LinearSlot v = linear(p + "self_attn.v_proj", kvOut, hidden, c.qkvBias());
            LinearSlot o = linear(p + "self_attn.o_proj", hidden, qOut, c.outputBias());
            RmsNorm qNorm = c.qkNorm() ? new RmsNorm(param(p + "self_attn.q_norm.weight", c.headDim()), c.rmsNormEps()) : null;
            RmsNorm kNorm = c.qkNorm() ? new RmsNorm(param(p + "self_attn.k_norm.weight", c.headDim()), c.rmsNormEps()) : null;
            Attention attention = new Attention(c, q, k, v, o, qNorm, kNorm);
            RmsNorm postNorm = new RmsNorm(param(p + "post_attention_layernorm.weight", hidden), c.rmsNormEps());
            LinearSlot gate = linear(p + "mlp.gate_proj", c.intermediateSize(), hidden, c.mlpBias());
            LinearSlot up = linear(p + "mlp.up_proj", c.intermediateSize(), hidden, c.mlpBias());
            LinearSlot down = linear(p + "mlp.down_proj", hidden, c.intermediateSize(), c.mlpBias());
            return new DecoderLayer(i, inputNorm, attention, postNorm, new Mlp(gate, up, down));
        }
    }
}
