package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Collection;

/**
 * torch.nn.utils.clip_grad_norm_ (norm type 2, error_if_nonfinite off): the total norm is the
 * norm of the per-parameter norms, all in float32; every gradient is multiplied in place by
 * {@code min(1, max_norm / (total + 1e-6))}.
 */
final class GradientClipping {

    private GradientClipping() {}

    /** The 2-norm over all gradients, as float32 arithmetic gives it; NaN or infinite when any entry is. */
    static double totalNorm(Collection<NDArray> grads, NDManager scope) {
        float sumSquares = 0f;
        for (NDArray g : grads) {
            NDArray f = g.getDataType() == DataType.FLOAT32 ? g : own(scope, g.toType(DataType.FLOAT32, false));
            float norm = own(scope, f.norm()).getFloat();
            sumSquares += norm * norm;
        }
        return (float) Math.sqrt(sumSquares);
    }

    /** Scales the gradients in place so that their total norm is at most {@code maxNorm}. */
    static void clip(Collection<NDArray> grads, double totalNorm, double maxNorm) {
        float coefficient = (float) maxNorm / ((float) totalNorm + 1e-6f);
        if (coefficient >= 1f) {
            return; // torch multiplies by the clamped coefficient, 1.0: nothing changes
        }
        for (NDArray g : grads) {
            g.muli(coefficient);
        }
    }

    private static NDArray own(NDManager m, NDArray a) {
        a.attach(m);
        return a;
    }
}
