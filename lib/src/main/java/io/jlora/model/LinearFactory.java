package io.jlora.model;

/**
 * Makes each decoder-layer projection (q/k/v/o, gate/up/down) while the model is read, so that a
 * projection can be stored otherwise than as the checkpoint's float matrix: quantized to 4 or 8
 * bits, or kept in float16, one weight at a time, without the whole float model ever being
 * resident. The head and the embedding are not made here: they stay in the model's type.
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
}
