package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalars for arithmetic inside a recorded (autograd) graph. DJL's {@code array.mul(2f)} (and div,
 * maximum, ... with a Number) wraps the number in an array over a Java direct buffer, uses it, and
 * closes it at once; autograd keeps that array for the backward pass (d(x*s)/dx = s) while the JVM
 * frees the buffer at its next GC, so a backward pass after a GC reads freed memory: wrong, even
 * infinite, gradients that depend on GC timing. A scalar made by libtorch ({@code full}) owns its
 * memory and is safe to keep.
 */
final class Scalars {

    private Scalars() {}

    /** A 0-d array holding {@code value}, in {@code like}'s manager and type, memory owned by libtorch. */
    static NDArray of(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }
}
