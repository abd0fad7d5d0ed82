package io.jlora.model;

import io.jlora.model.autograd.IntermediateArrays;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Root-mean-square norm over the last axis, as transformers' LlamaRMSNorm: computed in float32
 * whatever the model's type, then scaled by the learned weight, or by (1 + weight) as Gemma's
 * norms do (their weights are stored centred on 0).
 */
final class RmsNorm {

    private final NDArray weight;
    private final float eps;
    private final boolean plusOne;

    RmsNorm(NDArray weight, double eps) {
        this(weight, eps, false);
    }

    RmsNorm(NDArray weight, double eps, boolean plusOne) {
        this.weight = weight;
        this.eps = (float) eps;
        this.plusOne = plusOne;
    }

    NDArray weight() {
        return weight;
    }

    NDArray forward(NDArray x) {
        DataType type = x.getDataType();
        NDArray xf = x.toType(DataType.FLOAT32, false);
        NDArray squares = xf.square();
        NDArray rms = squares.mean(new int[] {-1}, true).add(eps).sqrt();
        // x first in every op, so that results belong to the caller's (per-step) manager
        NDArray normed = xf.div(rms);
        NDArray out;
        if (plusOne) {
            // Gemma: normed * (1 + w) in float32, then the input's type; written normed * w + normed so
            // that nothing lands in the weight's manager and a trainable w gets its gradient
            NDArray scaled = normed.mul(weight);
            NDArray sum = scaled.add(normed);
            out = sum.toType(type, false);
            IntermediateArrays.close(scaled, sum == out ? null : sum);
        } else {
            NDArray typed = normed.toType(type, false);
            out = typed.mul(weight);
            IntermediateArrays.close(typed == normed ? null : typed);
        }
        // x-sized temporaries autograd does not keep (pow keeps its input, mul its other operand)
        IntermediateArrays.close(squares, normed);
        if (xf != x) {
            xf.close();
        }
        return out;
    }
}
