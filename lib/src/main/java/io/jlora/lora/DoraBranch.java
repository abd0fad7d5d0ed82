package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.model.Linear;
import java.util.Map;

/**
 * DoRA (weight-decomposed LoRA, arXiv 2402.09353) beside the plain branch, as PEFT's dora.py: the
 * adapted weight is {@code m * (W + s B A) / ||W + s B A||} row by row, with a trainable magnitude m
 * per output row. The norm is detached from the graph, as the paper (section 4.3) and PEFT do, so
 * only A, B and m get gradients.
 *
 * <p>The forward adds {@code (m/n - 1) * (W x) + (m/n) * s * B(A(x))} to the base output, which
 * equals the decomposed weight applied to x (bias untouched), without forming the merged weight.
 */
public final class DoraBranch extends LoraBranch {

    /** PEFT's state-dict suffix for the magnitude vector. */
    public static final String MAGNITUDE_KEY = "lora_magnitude_vector";

    private final NDArray magnitude;
    /** ||W + s B A|| per row at merge time, needed to unmerge exactly (PEFT caches it too). */
    private NDArray mergedNorm;

    /** @param magnitude [out], owned by the adapter's manager, like A and B */
    public DoraBranch(NDArray a, NDArray b, NDArray magnitude, double scale, double dropout) {
        super(a, b, scale, dropout);
        if (magnitude.getShape().dimension() != 1 || magnitude.getShape().get(0) != b.getShape().get(0)) {
            throw new IllegalArgumentException("lora_magnitude_vector " + magnitude.getShape() + " does not fit lora_B "
                    + b.getShape());
        }
        this.magnitude = magnitude;
    }

    /**
     * PEFT's initial magnitude: the row norms of W + s B A, so that DoRA starts out computing what
     * plain LoRA would. Float32, owned by {@code owner}.
     */
    static NDArray initialMagnitude(NDArray w, NDArray a, NDArray b, double scale, NDManager owner) {
        try (NDManager tmp = owner.newSubManager()) {
            NDArray norm = weightNorm(tmp, loraWeight(tmp, a, b), w, scale);
            return ManagedArrays.own(owner, norm);
        }
    }

    public NDArray magnitude() {
        return magnitude;
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = super.parameters();
        p.put(MAGNITUDE_KEY, magnitude);
        return p;
    }

    /** The magnitude scales the base output, so its gradient needs that output's values. */
    @Override
    public boolean readsBaseOutput() {
        return true;
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseResult, Linear base, boolean training) {
        NDManager step = x.getManager();
        NDArray in = ManagedArrays.as(x, dtype());
        NDArray baseWithoutBias;
        if (dropsOut(training)) {
            // dropout changes x, so W x must be recomputed on the dropped input (PEFT does the same)
            in = dropped(in, true);
            baseWithoutBias = ai.djl.nn.core.Linear.linear(in, ManagedArrays.as(step, base.weight(), dtype()))
                    .singletonOrThrow();
        } else {
            NDArray r = ManagedArrays.as(baseResult, dtype());
            baseWithoutBias = base.bias() == null ? r : r.sub(ManagedArrays.as(step, base.bias(), dtype()));
        }
        NDArray loraResult = lowRank(in);
        NDArray norm = weightNorm(step, loraWeight(step, a, b), base.weight(), scale).stopGradient();
        NDArray magNormScale = ManagedArrays.own(step, magnitude.div(norm));
        // scale as a libtorch-made scalar: a Number operand's Java buffer is freed at the next GC while
        // autograd still holds it for the backward pass (io.jlora.train.Scalars)
        NDArray scaled = loraResult.mul(magNormScale);
        NDArray dora = baseWithoutBias.mul(magNormScale.sub(1f))
                .add(scaled.mul(scaled.getManager().full(new Shape(), (float) scale, scaled.getDataType())));
        return baseResult.add(ManagedArrays.as(dora, baseResult.getDataType()));
    }

    /** B A, detached, in {@code step}. */
    private static NDArray loraWeight(NDManager step, NDArray a, NDArray b) {
        return ManagedArrays.detached(step, b).matMul(ManagedArrays.detached(step, a));
    }

    /** PEFT's get_weight_norm: ||W + s * lw|| per output row, float32, in {@code step}. */
    private static NDArray weightNorm(NDManager step, NDArray lw, NDArray w, double s) {
        NDArray weight = lw.mul((float) s).add(ManagedArrays.as(step, w, DataType.FLOAT32));
        return weight.norm(new int[] {1});
    }

    /** m / norm as a column [out, 1], detached, in {@code tmp}. */
    private NDArray factor(NDManager tmp, NDArray norm) {
        return ManagedArrays.detached(tmp, magnitude).div(norm).reshape(-1, 1);
    }

    @Override
    public NDArray merged(NDArray w, NDManager into) {
        try (NDManager tmp = into.newSubManager()) {
            NDArray sum = deltaWeight(tmp).add(ManagedArrays.as(tmp, w, DataType.FLOAT32));
            NDArray out = factor(tmp, sum.norm(new int[] {1})).mul(sum);
            return ManagedArrays.own(into, ManagedArrays.as(out, w.getDataType()));
        }
    }

    @Override
    public void mergeInto(NDArray w) {
        if (mergedNorm != null) {
            throw new IllegalStateException("DoRA branch is already merged");
        }
        try (NDManager tmp = w.getManager().newSubManager()) {
            NDArray delta = deltaWeight(tmp);
            NDArray norm = delta.add(ManagedArrays.as(tmp, w, DataType.FLOAT32)).norm(new int[] {1});
            NDArray factor = factor(tmp, norm);
            w.addi(ManagedArrays.as(delta, w.getDataType())).muli(ManagedArrays.as(factor, w.getDataType()));
            mergedNorm = ManagedArrays.own(magnitude.getManager(), norm);
        }
    }

    @Override
    public void unmergeFrom(NDArray w) {
        if (mergedNorm == null) {
            throw new IllegalStateException("DoRA branch is not merged");
        }
        try (NDManager tmp = w.getManager().newSubManager()) {
            NDArray delta = deltaWeight(tmp);
            NDArray factor = factor(tmp, mergedNorm);
            w.divi(ManagedArrays.as(factor, w.getDataType())).subi(ManagedArrays.as(delta, w.getDataType()));
        }
        mergedNorm.close();
        mergedNorm = null;
    }
}
