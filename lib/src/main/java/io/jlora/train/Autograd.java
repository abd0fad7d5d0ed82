package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.jlora.model.autograd.GradRecording;

/**
 * The few autograd operations training needs, straight on DJL's PyTorch engine. DJL's own
 * {@code GradientCollector} can only backpropagate a scalar with a gradient of one and allows one
 * collector per process; layer-wise recomputation needs to push a given gradient through one layer
 * at a time, and to turn recording off for the forward pass that only keeps layer inputs.
 *
 * <p>Gradient recording is a per-thread switch in libtorch (on by default on a new thread, off on
 * DJL's first thread): {@link #recording} sets it for the calling thread and puts it back.
 */
final class Autograd {

    private Autograd() {}

    /** Sets gradient recording for this thread until the returned scope is closed. */
    static GradRecording.Scope recording(boolean on) {
        return GradRecording.set(on);
    }

    /** Backpropagates {@code gradient} (same shape as {@code output}) into every leaf that requires one. */
    static void backward(NDArray output, NDArray gradient) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) gradient, false, false);
    }

    /** Backpropagates a scalar with gradient one. */
    static void backward(NDArray scalar) {
        try (NDArray one = scalar.onesLike()) {
            backward(scalar, one);
        }
    }

    /** Sets the accumulated gradient of {@code parameter} to zero (NaN-safe). */
    static void zeroGradient(NDArray parameter) {
        if (parameter.hasGradient()) {
            JniUtils.zeroGrad((PtNDArray) parameter);
        }
    }

    /** The accumulated gradient of {@code array} (an alias of its .grad), owned by {@code owner}. */
    static NDArray gradient(NDArray array, NDManager owner) {
        NDArray g = array.getGradient();
        g.attach(owner);
        return g;
    }

    /**
     * An alias of {@code parameter}'s storage cut from the graph, owned by {@code owner}: in-place
     * ops on it change the parameter without autograd's objection to in-place ops on leaves.
     */
    static NDArray data(NDArray parameter, NDManager owner) {
        NDArray d = parameter.stopGradient();
        d.attach(owner);
        return d;
    }

    /** Copies {@code values} into {@code parameter} in place. */
    static void assign(NDArray parameter, NDArray values, NDManager scratch) {
        NDArray d = data(parameter, scratch);
        d.set(new NDIndex(":"), values);
    }
}
