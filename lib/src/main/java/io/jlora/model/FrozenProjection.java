package io.jlora.model;

import ai.djl.ndarray.NDArray;

/**
 * A projection over a frozen weight that can give its input gradient by itself, so that
 * {@link io.jlora.model.autograd.ProjectionCuts} may cut it out of the autograd graph: its output
 * becomes a leaf, and {@code dL/dx = dL/dy W} is pushed across the cut by hand.
 */
public interface FrozenProjection extends Linear {

    /**
     * dL/dx = dL/dy W for {@code outputGradient} [..., out]: [..., in] in the gradient's type and
     * manager. Called with recording off.
     */
    NDArray inputGradient(NDArray outputGradient);
}
