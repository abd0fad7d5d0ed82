package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.jlora.model.ChunkedLinear;
import io.jlora.model.OnDemandWeight;
import io.jlora.model.autograd.ProjectionCuts;

/**
 * A frozen projection stored in float16 (2 bytes a parameter) and computed in the input's type:
 * on the CPU, where float16 arithmetic is slow, each forward widens the weight to float32 (in blocks
 * of rows, {@link ChunkedLinear}) and closes the copy after use, so plain LoRA keeps about 2 bytes
 * per frozen parameter. Also the head over a float16 embedding. Under {@link ProjectionCuts} the
 * widened blocks are not kept for the backward pass: {@link #inputGradient} widens them again.
 */
public final class Float16Linear implements OnDemandWeight {

    private final String path;
    private final NDArray weight16;
    private final NDArray bias;

    public Float16Linear(String path, NDArray weight16, NDArray bias) {
        if (weight16.getDataType() != DataType.FLOAT16) {
            throw new IllegalArgumentException(path + ": weight is " + weight16.getDataType() + ", not float16");
        }
        this.path = path;
        this.weight16 = weight16;
        this.bias = bias;
    }

    /** Narrows {@code weight} to float16 in its manager; the original is left to the caller. */
    public static Float16Linear narrow(String path, NDArray weight, NDArray bias) {
        return new Float16Linear(path, weight.toType(DataType.FLOAT16, true), bias);
    }

    @Override
    public String path() {
        return path;
    }

    /** The stored float16 weight. */
    public NDArray weight16() {
        return weight16;
    }

    /** A float32 copy in the weights' manager, made at each call: close it when done. */
    @Override
    public NDArray weight() {
        return weight16.toType(DataType.FLOAT32, true);
    }

    @Override
    public NDArray bias() {
        return bias;
    }

    @Override
    public long inFeatures() {
        return weight16.getShape().get(1);
    }

    @Override
    public long outFeatures() {
        return weight16.getShape().get(0);
    }

    @Override
    public NDArray forward(NDArray x) {
        // widened a block of rows at a time (a 128k-token head is 1 GB in float32), unless x is float16 too
        return ProjectionCuts.baseOutput(this, x, () -> x.getDataType() == DataType.FLOAT16
                ? ai.djl.nn.core.Linear.linear(x, weight16, bias).singletonOrThrow()
                : ChunkedLinear.forward(x, weight16, bias));
    }

    @Override
    public NDArray inputGradient(NDArray outputGradient) {
        return ChunkedLinear.inputGradient(outputGradient, weight16);
    }

    @Override
    public String toString() {
        return path + " Float16Linear(" + inFeatures() + " -> " + outFeatures() + (bias != null ? ", bias" : "") + ")";
    }
}
