package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Makes each decoder-layer projection (q/k/v/o, gate/up/down) while the model is read, so that a
 * projection can be stored otherwise than as the checkpoint's float matrix: quantized to 4 or 8
 * bits, or kept in float16, one weight at a time, without the whole float model ever being
 * resident. The embedding and the head stay dense, in {@link #embeddingType()}.
 */
@FunctionalInterface
public interface LinearFactory {

    /** Plain float matrices in the model's type: what {@link Decoder#build(ModelConfig, WeightSource)} makes. */
    LinearFactory DENSE = (path, out, in, bias, weights) ->
            new DenseLinear(path, weights.get(path + ".weight", out, in), bias ? weights.get(path + ".bias", out) : null);

    /**
     * The projection at {@code path} mapping {@code in} to {@code out} features, its weight read
     * from {@code weights} (by {@code path + ".weight"}, and {@code path + ".bias"} when
     * {@code bias}). A factory that converts the weight closes the float array it read.
     */
    Linear create(String path, long out, long in, boolean bias, WeightSource weights);

    /**
     * The floating type the frozen embedding and an untied head are stored in, or null for the
     * model's type. Factories that shrink the projections keep these in float16 too: at a 128k
     * vocabulary the embedding alone is a quarter of a 1B model.
     */
    default DataType embeddingType() {
        return null;
    }

    /**
     * The head over {@code weight} [vocab, hidden] (the embedding's when tied), in the type
     * {@link #embeddingType()} gave; the default is a plain {@link DenseLinear}.
     */
    default Linear head(String path, NDArray weight, NDArray bias) {
        return new DenseLinear(path, weight, bias);
    }
}
