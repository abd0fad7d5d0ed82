package io.jlora.model;

import io.jlora.model.autograd.ProjectionCuts;
import ai.djl.ndarray.NDArray;

/** A plain linear layer over float weights: frozen, but for full fine-tuning, which trains them. */
public final class DenseLinear implements FrozenProjection {

    private final String path;
    private final NDArray weight;
    private final NDArray bias;

    public DenseLinear(String path, NDArray weight, NDArray bias) {
        this.path = path;
        this.weight = weight;
        this.bias = bias;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public NDArray weight() {
        return weight;
    }

    @Override
    public NDArray bias() {
        return bias;
    }

    @Override
    public NDArray forward(NDArray x) {
        // torch's fused linear (one GEMM, bias added in it); the result belongs to x's manager
        return ProjectionCuts.baseOutput(this, x, () -> ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow());
    }

    @Override
    public NDArray inputGradient(NDArray outputGradient) {
        return outputGradient.matMul(weight);
    }


    @Override
    public String toString() {
        return path + " Linear(" + inFeatures() + " -> " + outFeatures() + (bias != null ? ", bias" : "") + ")";
    }
}
