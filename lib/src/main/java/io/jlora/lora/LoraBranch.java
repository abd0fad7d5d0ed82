package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.model.autograd.DropoutMasks;
import io.jlora.model.autograd.IntermediateArrays;
import io.jlora.model.Linear;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One adapter's low-rank update on one linear layer, PEFT's lora_A/lora_B pair: the layer computes
 * {@code W x + b + scale * B(A(dropout(x)))}, and merging adds {@code scale * B A} to W.
 *
 * <p>A [r, in] and B [out, r] are float32 parameters that require gradients; the base weight W
 * never does: the branch adds to the base layer's output and reads W only for merging (and, in
 * {@link DoraBranch}, for a detached norm). All per-call arrays end in the input's manager.
 */
public class LoraBranch {

    /** PEFT's state-dict suffixes, after the module path. */
    public static final String A_KEY = "lora_A.weight";
    public static final String B_KEY = "lora_B.weight";

    protected final NDArray a;
    protected final NDArray b;
    protected final double scale;
    private final float dropout;

    /**
     * @param a [r, in], owned by the adapter's manager
     * @param b [out, r], same manager
     * @param scale alpha / r (or alpha / sqrt(r))
     * @param dropout probability applied to the branch's input while training
     */
    public LoraBranch(NDArray a, NDArray b, double scale, double dropout) {
        if (a.getShape().dimension() != 2 || b.getShape().dimension() != 2 || a.getShape().get(0) != b.getShape().get(1)) {
            throw new IllegalArgumentException("lora_A " + a.getShape() + " and lora_B " + b.getShape() + " do not chain");
        }
        this.a = a;
        this.b = b;
        this.scale = scale;
        this.dropout = (float) dropout;
    }

    public int rank() {
        return Math.toIntExact(a.getShape().get(0));
    }

    public double scale() {
        return scale;
    }

    public double dropout() {
        return dropout;
    }

    /** lora_A.weight, [r, in]. */
    public NDArray a() {
        return a;
    }

    /** lora_B.weight, [out, r]. */
    public NDArray b() {
        return b;
    }

    /** Trainable arrays by PEFT's suffix (lora_A.weight, lora_B.weight, and DoRA's magnitude). */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        p.put(A_KEY, a);
        p.put(B_KEY, b);
        return p;
    }

    /**
     * {@code baseResult} (the base layer's output for x) plus this branch's update. Dropout applies
     * only while {@code training}.
     */
    /** Whether {@link #forward} reads {@code baseResult}'s values (a plain branch only adds to it). */
    public boolean readsBaseOutput() {
        return false;
    }

    public NDArray forward(NDArray x, NDArray baseResult, Linear base, boolean training) {
        NDArray typedIn = ManagedArrays.as(x, a.getDataType());
        boolean drop = dropsOut(training);
        // dropout's 1 / (1 - p) joins the scale below: one pass over the (in-wide) input less, forward and backward
        NDArray in = drop ? DropoutMasks.applyUnscaled(typedIn, dropout) : typedIn;
        NDArray down = ai.djl.nn.core.Linear.linear(in, a).singletonOrThrow();
        // PEFT scales B's output [..., out]; scaling A's [..., r] instead is the same product with
        // out/r times fewer multiplications, forward and backward (exact when scale is a power of
        // two, as alpha = 2r makes it). A libtorch-made scalar, not mul(float): autograd keeps the
        // scalar for the backward pass and DJL's Number operand lives in a Java buffer freed at the
        // next GC (io.jlora.train.Scalars).
        double factor = drop ? scale / (1 - (double) dropout) : scale;
        NDArray scaled = down.mul(down.getManager().full(new Shape(), (float) factor, down.getDataType()));
        if (baseResult.getDataType() == b.getDataType()) {
            // one GEMM that adds B's product to the base output (libtorch's addmm, beta 1), as
            // bitsandbytes' and PEFT's fused paths do: no out-wide update array, no separate add pass
            Shape outShape = baseResult.getShape();
            NDArray flatBase = baseResult.reshape(-1, outShape.get(outShape.dimension() - 1));
            NDArray flatLow = scaled.reshape(-1, rank());
            NDArray sum = ai.djl.nn.core.Linear.linear(flatLow, b, flatBase).singletonOrThrow().reshape(outShape);
            IntermediateArrays.close(flatBase, flatLow);
            return sum;
        }
        NDArray update = ai.djl.nn.core.Linear.linear(scaled, b).singletonOrThrow();
        NDArray typed = ManagedArrays.as(update, baseResult.getDataType());
        NDArray sum = baseResult.add(typed);
        // the out-wide update is needed by nothing now (autograd keeps A's output and B, not it):
        // freed here rather than when the step's manager closes (16 MiB per MLP projection of a 1B
        // model at 512 tokens). Closing a handle never frees what autograd still references.
        IntermediateArrays.close(update, typed);
        return sum;
    }

    /** B(A(x)), [..., out], in x's manager. */
    protected NDArray lowRank(NDArray x) {
        NDArray down = ai.djl.nn.core.Linear.linear(x, a).singletonOrThrow();
        return ai.djl.nn.core.Linear.linear(down, b).singletonOrThrow();
    }

    protected NDArray dropped(NDArray x, boolean training) {
        return training && dropout > 0 ? DropoutMasks.apply(x, dropout) : x;
    }

    protected boolean dropsOut(boolean training) {
        return training && dropout > 0;
    }

    /** {@code scale * B A}, [out, in] float32, detached, owned by {@code m}. */
    public NDArray deltaWeight(NDManager m) {
        NDArray bd = ManagedArrays.detached(m, b);
        NDArray ad = ManagedArrays.detached(m, a);
        // in place: a model-sized temporary less per layer (same arithmetic as PEFT's (B @ A) * scale)
        return bd.matMul(ad).muli((float) scale);
    }

    /** The weight with this update merged: a new array owned by {@code into}; w is untouched. */
    public NDArray merged(NDArray w, NDManager into) {
        try (NDManager tmp = into.newSubManager()) {
            NDArray delta = ManagedArrays.as(deltaWeight(tmp), w.getDataType());
            return ManagedArrays.own(into, delta.addi(w));
        }
    }

    /** {@code w += scale * B A}, in place (w is the base layer's own array). */
    public void mergeInto(NDArray w) {
        try (NDManager tmp = w.getManager().newSubManager()) {
            w.addi(ManagedArrays.as(deltaWeight(tmp), w.getDataType()));
        }
    }

    /** Undoes {@link #mergeInto}. */
    public void unmergeFrom(NDArray w) {
        try (NDManager tmp = w.getManager().newSubManager()) {
            w.subi(ManagedArrays.as(deltaWeight(tmp), w.getDataType()));
        }
    }

    /** The adapter's float type: what inputs are cast to before A. */
    protected DataType dtype() {
        return a.getDataType();
    }
}
