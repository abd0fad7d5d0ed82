package io.jlora.model;

import io.jlora.model.autograd.IntermediateArrays;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embeddings in transformers' "rotate_half" layout: dimension i is paired with
 * dimension i + headDim/2 (not with its neighbour, as in the original paper), which is how HF
 * checkpoints' q/k weights are arranged.
 */
final class RotaryEmbedding {

    private final float[] inverseFrequencies;

    RotaryEmbedding(RopeConfig rope, int headDim) {
        this.inverseFrequencies = rope.inverseFrequencies(headDim);
    }

    /** Cosines and sines for positions [start, start+length), each [length, headDim], in {@code type}. */
    NDList cosSin(NDManager manager, long start, long length, DataType type) {
        // positions are integers, exact in float32 up to 2^24
        NDArray positions = manager.arange((float) start, (float) (start + length), 1f, DataType.FLOAT32);
        NDArray invFreq = manager.create(inverseFrequencies);
        NDArray freqs = positions.expandDims(1).mul(invFreq.expandDims(0));
        NDArray emb = freqs.concat(freqs, 1);
        return new NDList(emb.cos().toType(type, false), emb.sin().toType(type, false));
    }

    /** Cosines and sines for the given positions (packed rows restart them per example), each [length, headDim]. */
    NDList cosSin(NDManager manager, float[] positions, DataType type) {
        NDArray p = manager.create(positions);
        NDArray invFreq = manager.create(inverseFrequencies);
        NDArray freqs = p.expandDims(1).mul(invFreq.expandDims(0));
        NDArray emb = freqs.concat(freqs, 1);
        return new NDList(emb.cos().toType(type, false), emb.sin().toType(type, false));
    }

    /** x: [batch, heads, time, headDim]; cos/sin: [time, headDim]. */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
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
