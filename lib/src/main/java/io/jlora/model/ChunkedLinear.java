package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * {@code x W^T + b} for a weight stored in another floating type than x (float16 storage, float32
 * compute): W is widened to x's type one block of rows at a time, so that the widened copy of a
 * large matrix (a 128k-token head is 1 GB in float32) is never whole.
 */
public final class ChunkedLinear {

    /** Largest widened block: 32 MiB. */
    public static final long BLOCK_BYTES = 32L << 20;

    private ChunkedLinear() {}

    /** Rows per widened block of a weight with {@code inFeatures} columns, at 4 bytes a value. */
    public static long rowsPerBlock(long inFeatures, long blockBytes) {
        return Math.max(1, blockBytes / (4 * Math.max(1, inFeatures)));
    }

    /**
     * Rows [from, to) of {@code weight} in {@code type}, owned by {@code m} (a view when the type
     * already matches).
     */
    public static NDArray rows(NDArray weight, long from, long to, DataType type, NDManager m) {
        NDArray block = weight.get(new NDIndex("{}:{}", from, to));
        block.attach(m);
        if (block.getDataType() == type) {
            return block;
        }
        NDArray wide = block.toType(type, false);
        wide.attach(m);
        return wide;
    }

    /** Rows [from, to) of a weight in the compute type, made for one block (widened, dequantized). */
    @FunctionalInterface
    public interface WeightRows {
        /** The rows, owned by {@code temp} (or by the source itself), read before the next call. */
        NDArray rows(long from, long to, NDManager temp);
    }

    /**
     * {@code dy W}: dy [..., out] times the weight [out, in], widened to dy's type a block of rows at
     * a time; the result [..., in] in dy's manager. For the backward pass of a frozen projection.
     */
    public static NDArray inputGradient(NDArray dy, NDArray weight) {
        return inputGradient(dy, weight, BLOCK_BYTES);
    }

    static NDArray inputGradient(NDArray dy, NDArray weight, long blockBytes) {
        if (weight.getDataType() == dy.getDataType()) {
            return dy.matMul(weight);
        }
        DataType type = dy.getDataType();
        return inputGradient(dy, (from, to, temp) -> rows(weight, from, to, type, temp), weight.getShape().get(0),
                rowsPerBlock(weight.getShape().get(1), blockBytes));
    }

    /** {@code dy W} for a weight of {@code out} rows given {@code step} rows at a time; the result in dy's manager. */
    public static NDArray inputGradient(NDArray dy, WeightRows weight, long out, long step) {
        NDArray sum = null;
        try (NDManager scratch = dy.getManager().newSubManager()) {
            for (long from = 0; from < out; from += step) {
                long to = Math.min(out, from + step);
                NDArray w = weight.rows(from, to, scratch);
                NDArray g = from == 0 && to == out ? dy : owned(scratch, dy.get(new NDIndex("..., {}:{}", from, to)));
                NDArray part = owned(scratch, g.matMul(w));
                if (sum == null) {
                    sum = part;
                } else {
                    sum.addi(part);
                }
            }
            sum.attach(dy.getManager());
            return sum;
        }
    }

    /** x [..., in] to [..., out], the result in x's manager; works under autograd for x. */
    public static NDArray forward(NDArray x, NDArray weight, NDArray bias) {
        return forward(x, weight, bias, BLOCK_BYTES);
    }

    /** As above with a chosen block size (tests use small blocks to make partial ones). */
    public static NDArray forward(NDArray x, NDArray weight, NDArray bias, long blockBytes) {
        if (weight.getDataType() == x.getDataType()) {
            return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
        }
        DataType type = x.getDataType();
        return forward(x, (from, to, temp) -> rows(weight, from, to, type, temp), bias, weight.getShape().get(0),
                rowsPerBlock(weight.getShape().get(1), blockBytes));
    }

    /**
     * {@code x W^T + b} for a weight of {@code out} rows given {@code step} rows at a time (the
     * bias, if any, is sliced and widened alike); the result in x's manager. Under autograd the
     * graph keeps each block it needs.
     */
    public static NDArray forward(NDArray x, WeightRows weight, NDArray bias, long out, long step) {
        NDManager owner = x.getManager();
        NDList parts = new NDList();
        try (NDManager scratch = owner.newSubManager()) {
            for (long from = 0; from < out; from += step) {
                long to = Math.min(out, from + step);
                NDArray w = weight.rows(from, to, scratch);
                NDArray b = bias == null ? null : rows(bias, from, to, x.getDataType(), scratch);
                parts.add(owned(scratch, ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow()));
            }
            NDArray result = parts.size() == 1 ? parts.head() : NDArrays.concat(parts, -1);
            result.attach(owner);
            return result;
        }
    }

    private static NDArray owned(NDManager m, NDArray a) {
        a.attach(m);
        return a;
    }
}
