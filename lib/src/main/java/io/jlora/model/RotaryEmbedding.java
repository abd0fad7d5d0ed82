package io.jlora.model;

import io.jlora.model.autograd.IntermediateArrays;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings in transformers' "rotate_half" layout: dimension i is paired with
 * dimension i + rotaryDim/2 (not with its neighbour, as in the original paper), which is how HF
 * checkpoints' q/k weights are arranged. With a partial rotary factor (Phi-3/4) only the first
 * rotaryDim dimensions of each head rotate; the rest pass through.
 */
final class RotaryEmbedding {

    private final RopeConfig rope;
    private final float[] inverseFrequencies;
    /** LongRoPE's frequencies past the original context, else null. */
    private final float[] longInverseFrequencies;

    RotaryEmbedding(RopeConfig rope, int headDim) {
        this.rope = rope;
        this.inverseFrequencies = rope.inverseFrequencies(headDim, false);
        this.longInverseFrequencies = rope.type() == RopeConfig.Type.LONGROPE ? rope.inverseFrequencies(headDim, true) : null;
    }

    /**
     * Cosines and sines for positions [start, start+length), each [length, rotaryDim], in {@code type}.
     * LongRoPE picks its long factors when start+length passes the original context, as transformers
     * does for each forward call.
     */
    NDList cosSin(NDManager manager, long start, long length, DataType type) {
        // positions are integers, exact in float32 up to 2^24
        return cosSin(manager.arange((float) start, (float) (start + length), 1f, DataType.FLOAT32), start + length, type);
    }

    /** Cosines and sines for the given positions (packed rows restart them per example), each [length, rotaryDim]. */
    NDList cosSin(NDManager manager, float[] positions, DataType type) {
        float end = 0;
        for (float p : positions) {
            end = Math.max(end, p + 1);
        }
        return cosSin(manager.create(positions), (long) end, type);
    }

    /** {@code end}: one past the last position, which picks LongRoPE's factors. */
    private NDList cosSin(NDArray positions, long end, DataType type) {
        NDManager manager = positions.getManager();
        float[] inv = rope.longFactors(end) ? longInverseFrequencies : inverseFrequencies;
        NDArray invFreq = manager.create(inv);
        NDArray freqs = positions.expandDims(1).mul(invFreq.expandDims(0));
        NDArray emb = freqs.concat(freqs, 1);
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        double scaling = rope.attentionScaling();
        if (scaling != 1.0) {
            NDArray s = manager.full(new Shape(), (float) scaling, DataType.FLOAT32);
            cos = cos.mul(s);
            sin = sin.mul(s);
        }
        return new NDList(cos.toType(type, false), sin.toType(type, false));
    }

    /** x: [batch, heads, time, headDim]; cos/sin: [time, rotaryDim], rotaryDim at most headDim. */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        int last = x.getShape().dimension() - 1;
        long rotary = cos.getShape().get(1);
        if (rotary < x.getShape().get(last)) {
            NDList parts = x.split(new long[] {rotary}, last);
            NDArray rotated = apply(parts.get(0), cos, sin);
            NDArray out = rotated.concat(parts.get(1), last);
            rotated.close();
            return out;
        }
        NDArray cosPart = x.mul(cos);
        NDArray rotated = rotateHalf(x);
        NDArray sinPart = rotated.mul(sin);
        NDArray out = cosPart.add(sinPart);
        // temporaries autograd does not keep (the products keep cos and sin only)
        IntermediateArrays.close(cosPart, rotated, sinPart);
        return out;
    }

    /** [x1, x2] -> [-x2, x1] over the last axis. */
    static NDArray rotateHalf(NDArray x) {
        int last = x.getShape().dimension() - 1; // DJL's split wants a non-negative axis
        NDList halves = x.split(2, last);
        NDArray negated = halves.get(1).neg();
        NDArray out = negated.concat(halves.get(0), last);
        negated.close();
        halves.close();
        return out;
    }
}
