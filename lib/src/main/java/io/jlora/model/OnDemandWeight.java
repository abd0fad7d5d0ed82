package io.jlora.model;

import io.jlora.model.autograd.ProjectionCuts;
import ai.djl.ndarray.NDArray;

/**
 * A frozen projection whose float weight exists only while one of its calls runs: dequantized from
 * 4-bit or int8 codes, or widened from float16 storage, then freed. A plain matmul under autograd
 * would make torch keep that float copy until the backward pass (a whole decoder layer's worth
 * while it is recomputed); inside {@link ProjectionCuts} the projection is cut out of the graph and
 * asked for the input gradient instead, making its weight anew, as bitsandbytes' MatMul4Bit does in
 * its backward.
 */
public interface OnDemandWeight extends FrozenProjection {

    // inputGradient (FrozenProjection) makes the float weight anew and frees it within the call
}
