package io.jlora.model;

import io.jlora.model.autograd.IntermediateArrays;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Root-mean-square norm over the last axis, as transformers' LlamaRMSNorm: computed in float32
 * whatever the model's type, then scaled by the learned weight.
 */
final class RmsNorm {

    private final NDArray weight;
    private final float eps;

    RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
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
        NDArray typed = normed.toType(type, false);
        NDArray out = typed.mul(weight);
        // x-sized temporaries autograd does not keep (pow keeps its input, mul its other operand)
        IntermediateArrays.close(squares, normed, typed);
        if (xf != x) {
            xf.close();
        }
        return out;
    }
}
