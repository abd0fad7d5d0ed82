package io.jlora.model;

import ai.djl.ndarray.NDArray;

/**
 * One linear projection of the decoder, {@code y = x W^T + b}: q/k/v/o, gate/up/down and the head
 * all are one. Adapters (LoRA) implement this too and wrap a base {@code Linear}, so the decoder
 * never needs to know whether a projection is plain, adapted or quantized.
 */
public interface Linear {

    /** Module path as transformers names it, e.g. {@code model.layers.0.self_attn.q_proj}. */
    String path();

    /** The (base) weight, shape [out, in]. */
    NDArray weight();

    /** The (base) bias, shape [out], or null. */
    NDArray bias();

    /**
     * x: [..., in] to [..., out]. Must not modify x in place (autograd may need it), and must leave
     * its results in x's manager: DJL puts an op's result in its first operand's manager, so write
     * {@code x.op(param)}, never {@code param.op(...)}, or each step leaks into the weights' manager.
     */
    NDArray forward(NDArray x);

    /**
     * Whether {@link #forward} reads the value of its frozen base's output beyond adding it to its
     * own: false for a plain projection and for LoRA, true for DoRA (its magnitude scales that
     * output). When false, a pass that is run only to backpropagate need not compute the base output
     * ({@link LinearSlot#forwardUnread}).
     */
    default boolean readsBaseOutput() {
        return false;
    }

    /** The projection that holds the frozen weight: this one, or the base an adapter wraps. */
    default Linear frozenBase() {
        return this;
    }

    default long inFeatures() {
        return weight().getShape().get(1);
    }

    default long outFeatures() {
        return weight().getShape().get(0);
    }
}
