package io.jlora.model;

import io.jlora.model.autograd.IntermediateArrays;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Causal self-attention with grouped-query heads, rotary positions and the family options: q/k/v
 * (and o) biases live in the projections; q/k RMSNorm runs before rotary, per head (Qwen3, Gemma 3)
 * or over the whole projection (OLMo 2); Phi-3's fused qkv_proj is split after projecting; Gemma's
 * query_pre_attn_scalar sets the scale and Gemma 2 soft-caps the scores.
 */
final class Attention {

    final LinearSlot qProj;
    final LinearSlot kProj;
    final LinearSlot vProj;
    final LinearSlot oProj;
    final RmsNorm qNorm;
    final RmsNorm kNorm;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final Double softcap;
    private final boolean wholeNorm;

    /** {@code k} and {@code v} null when {@code q} is the fused qkv_proj. */
    Attention(ModelConfig c, LinearSlot q, LinearSlot k, LinearSlot v, LinearSlot o, RmsNorm qNorm, RmsNorm kNorm) {
        this.qProj = q;
        this.kProj = k;
        this.vProj = v;
        this.oProj = o;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.heads = c.heads();
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.scale = (float) c.attentionScale();
        this.softcap = c.options().attnSoftcap();
        this.wholeNorm = c.options().qkNormWhole();
    }

    /**
     * x: [batch, time, hidden]; cos/sin for these positions (null: a layer without rotary); mask:
     * additive [time, keys] or null;
     * cache: null for a full forward, else it receives this step's k/v and gives back all of them.
     */
    NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache, int layer) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray q;
        NDArray k;
        NDArray v;
        if (kProj == null) {
            NDList qkv = qProj.forward(x).split(new long[] {(long) heads * headDim, (long) (heads + kvHeads) * headDim}, 2);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            q = qProj.forward(x);
            k = kProj.forward(x);
            v = vProj.forward(x);
        }
        if (qNorm != null && wholeNorm) {
            q = qNorm.forward(q);
            k = kNorm.forward(k);
        }
        q = q.reshape(b, t, heads, headDim);
        k = k.reshape(b, t, kvHeads, headDim);
        v = v.reshape(b, t, kvHeads, headDim);
        if (qNorm != null && !wholeNorm) {
            q = qNorm.forward(q);
            k = kNorm.forward(k);
        }
        NDArray qt = q.transpose(0, 2, 1, 3);
        NDArray kt = k.transpose(0, 2, 1, 3);
        q = cos == null ? qt : RotaryEmbedding.apply(qt, cos, sin);
        k = cos == null ? kt : RotaryEmbedding.apply(kt, cos, sin);
        v = v.transpose(0, 2, 1, 3);
        if (cache != null) {
            NDList kv = cache.append(layer, k, v);
            k = kv.get(0);
            v = kv.get(1);
        }
        long s = k.getShape().get(2);
        // Grouped-query attention without copying k/v per query head: query head h uses kv head
        // h / group (transformers' repeat_kv order), so view q as [b, kvHeads, group, t, d] and let
        // matmul broadcast k/v over the group axis.
        int group = heads / kvHeads;
        // the scale on q rather than on the scores: the same products (exactly so for a power-of-two
        // scale, as head size 64 gives) at t / headDim times fewer multiplications, forward and backward.
        // Not a Java Number: DJL wraps it in an array over a Java buffer and closes it at once, but
        // autograd keeps it for the backward pass, which then reads freed memory after a GC; a
        // libtorch-made scalar owns its memory (io.jlora.train.Scalars, GoldenTrainingTest)
        NDArray scaledQ = q.mul(q.getManager().full(new Shape(), scale, q.getDataType()));
        NDArray qg = scaledQ.reshape(b, kvHeads, group, t, headDim);
        NDArray kg = k.expandDims(2);
        NDArray vg = v.expandDims(2);
        // The [heads, t, s] scores are the largest arrays of a layer (32 MiB each at 32 heads and 512
        // tokens): masked in place (matmul and add keep none of them for backward) and closed once
        // softmax has them, which keeps its own output; DJL would otherwise hold each of them until
        // the layer's manager closes, after its backward pass.
        NDArray scores = qg.matMul(kg.transpose(0, 1, 2, 4, 3));
        NDArray wide = scores.toType(DataType.FLOAT32, false);
        if (wide != scores) {
            scores.close();
        }
        if (softcap != null) {
            // Gemma 2: cap * tanh(scores / cap), before the mask; not in place (tanh keeps its output)
            NDArray cap = wide.getManager().full(new Shape(), softcap.floatValue(), DataType.FLOAT32);
            NDArray capped = wide.div(cap).tanh().mul(cap);
            wide.close();
            wide = capped;
        }
        if (mask != null) {
            wide.addi(mask);
        }
        NDArray probs = wide.softmax(-1);
        wide.close();
        NDArray typed = probs.toType(q.getDataType(), false);
        if (typed != probs) {
            probs.close();
            probs = typed;
        }
        NDArray mixed = probs.matMul(vg);
        NDArray out = mixed.reshape(b, heads, t, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(new Shape(b, t, (long) heads * headDim));
        // q after rotary and scaling, and the per-head output: copied into qg and out, kept by nothing
        IntermediateArrays.close(q, scaledQ, qg, mixed);
        return oProj.forward(out);
    }
}
