package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds a {@link Decoder}'s parts: knows transformers' parameter names and each family's layer
 * layout ({@link FamilyOptions}), and collects the projection slots and parameters as it reads them.
 */
final class DecoderBuilder {
    final ModelConfig c;
    final WeightSource w;
    final Map<String, LinearSlot> slots = new LinkedHashMap<>();
    final Map<String, NDArray> params = new LinkedHashMap<>();
    final LinearFactory linears;

    DecoderBuilder(ModelConfig c, WeightSource w, LinearFactory linears) {
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

    RmsNorm norm(String name, long width) {
        return new RmsNorm(param(name, width), c.rmsNormEps(), c.options().normPlusOne());
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
        String p = c.options().modulePrefix() + "layers." + i + ".";
        long hidden = c.hiddenSize();
        long qOut = (long) c.heads() * c.headDim();
        long kvOut = (long) c.kvHeads() * c.headDim();
        FamilyOptions o = c.options();
        FamilyOptions.NormPlacement placement = o.norms();
        RmsNorm attnIn = placement == FamilyOptions.NormPlacement.POST ? null : norm(p + "input_layernorm.weight", hidden);
        LinearSlot q;
        LinearSlot k = null;
        LinearSlot v = null;
        if (o.fusedProjections()) {
            q = linear(p + "self_attn.qkv_proj", qOut + 2 * kvOut, hidden, c.qkvBias());
        } else {
            q = linear(p + "self_attn.q_proj", qOut, hidden, c.qkvBias());
            k = linear(p + "self_attn.k_proj", kvOut, hidden, c.qkvBias());
            v = linear(p + "self_attn.v_proj", kvOut, hidden, c.qkvBias());
        }
        LinearSlot out = linear(p + "self_attn.o_proj", hidden, qOut, c.outputBias());
        long qNormWidth = o.qkNormWhole() ? qOut : c.headDim();
        long kNormWidth = o.qkNormWhole() ? kvOut : c.headDim();
        RmsNorm qNorm = c.qkNorm() ? norm(p + "self_attn.q_norm.weight", qNormWidth) : null;
        RmsNorm kNorm = c.qkNorm() ? norm(p + "self_attn.k_norm.weight", kNormWidth) : null;
        Attention attention = new Attention(c, q, k, v, out, qNorm, kNorm);
        // post_attention_layernorm is the MLP's input norm in Llama, the attention output's elsewhere
        RmsNorm postAttention = norm(p + "post_attention_layernorm.weight", hidden);
        RmsNorm preFeedforward = placement == FamilyOptions.NormPlacement.SANDWICH
                ? norm(p + "pre_feedforward_layernorm.weight", hidden) : null;
        LinearSlot gate;
        LinearSlot up = null;
        if (o.fusedProjections()) {
            gate = linear(p + "mlp.gate_up_proj", 2L * c.intermediateSize(), hidden, c.mlpBias());
        } else {
            gate = linear(p + "mlp.gate_proj", c.intermediateSize(), hidden, c.mlpBias());
            up = linear(p + "mlp.up_proj", c.intermediateSize(), hidden, c.mlpBias());
        }
        LinearSlot down = linear(p + "mlp.down_proj", hidden, c.intermediateSize(), c.mlpBias());
        RmsNorm postFeedforward = placement == FamilyOptions.NormPlacement.PRE ? null
                : norm(p + "post_feedforward_layernorm.weight", hidden);
        Mlp mlp = new Mlp(gate, up, down, o.activation());
        if (placement == FamilyOptions.NormPlacement.PRE) {
            return new DecoderLayer(i, attnIn, attention, null, postAttention, mlp, null);
        }
        return new DecoderLayer(i, attnIn, attention, postAttention, preFeedforward, mlp, postFeedforward);
    }
}
