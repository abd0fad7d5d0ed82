package io.jlora.model;

import ai.djl.ndarray.NDArray;

/** A plain linear layer over frozen weights (they never require a gradient). */
public final class DenseLinear implements Linear {

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
        return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }

    @Override
    public String toString() {
        return path + " Linear(" + inFeatures() + " -> " + outFeatures() + (bias != null ? ", bias" : "") + ")";
    }
}
