package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Keeping per-step arrays out of long-lived managers. DJL puts an op's result in its first
 * operand's manager, so an op whose first operand is a parameter (A, B, a magnitude) would leave
 * its result in the adapter's manager for good; these helpers move such results into the step's
 * manager right after the op.
 */
final class ManagedArrays {

    private ManagedArrays() {}

    /** {@code result}, now owned by {@code step}: it is closed with the step, not with its operand. */
    static NDArray own(NDManager step, NDArray result) {
        result.attach(step);
        return result;
    }

    /** {@code parameter} cut from the autograd graph (no gradient flows back), owned by {@code step}. */
    static NDArray detached(NDManager step, NDArray parameter) {
        return own(step, parameter.stopGradient());
    }

    /** {@code x} as {@code type}; x itself when it already is. For arrays already in the step's manager. */
    static NDArray as(NDArray x, DataType type) {
        return x.getDataType() == type ? x : x.toType(type, false);
    }

    /** {@code x} as {@code type}; a converted copy is owned by {@code step}. For long-lived arrays. */
    static NDArray as(NDManager step, NDArray x, DataType type) {
        return x.getDataType() == type ? x : own(step, x.toType(type, false));
    }
}
