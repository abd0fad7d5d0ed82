package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.model.Linear;

/**
 * A frozen projection whose weight is kept 4-bit ({@link FourBitWeight}): each forward
 * dequantizes it into float32 (the compute type), multiplies, and closes the float copy, so that
 * between forwards only the packed bytes are resident.
 *
 * <p>Under autograd, torch's graph keeps each dequantized weight until the backward pass (the
 * matmul needs W for dL/dx). bitsandbytes avoids that with a custom autograd function that
 * dequantizes again in backward; DJL offers none, so training memory relies on gradient
 * checkpointing to hold the dequantized weights of one decoder layer at a time. The weight itself
 * never requires a gradient.
 */
public final class QuantizedLinear implements Linear {

    private final String path;
    private final FourBitWeight weight;
    private final NDArray bias;

    public QuantizedLinear(String path, FourBitWeight weight, NDArray bias) {
        if (weight.shape().dimension() != 2) {
            throw new IllegalArgumentException(path + ": a linear weight is [out, in], not " + weight.shape());
        }
        this.path = path;
        this.weight = weight;
        this.bias = bias;
    }

    /** Quantizes {@code floatWeight} [out, in] as {@code spec} says, on its device, into its manager. */
    public static QuantizedLinear quantize(String path, NDArray floatWeight, NDArray bias, FourBitSpec spec) {
        FourBitQuantizer q = new FourBitQuantizer(spec, floatWeight.getShape().getShape());
        WeightChunks.forEach(floatWeight, spec.blockSize(), q::accept);
        return new QuantizedLinear(path, FourBitWeight.upload(q.finish(), floatWeight.getManager()), bias);
    }

    @Override
    public String path() {
        return path;
    }

    /** The packed weight and its quantization state. */
    public FourBitWeight quantized() {
        return weight;
    }

    /**
     * A dequantized float32 copy, made anew at each call (out x in x 4 bytes, one dequantization)
     * in the weights' manager: close it when done, or it lives as long as the model.
     */
    @Override
    public NDArray weight() {
        return weight.dequantize(weight.packed().getManager());
    }

    @Override
    public NDArray bias() {
        return bias;
    }

    @Override
    public long inFeatures() {
        return weight.shape().get(1);
    }

    @Override
    public long outFeatures() {
        return weight.shape().get(0);
    }

    @Override
    public NDArray forward(NDArray x) {
        try (NDManager scratch = x.getManager().newSubManager()) {
            NDArray w = weight.dequantize(scratch);
            if (x.getDataType() != DataType.FLOAT32) {
                w = w.toType(x.getDataType(), false);
            }
            // the result belongs to x's manager; the float weight dies with scratch
            return ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow();
        }
    }

    @Override
    public String toString() {
        return path + " QuantizedLinear(" + inFeatures() + " -> " + outFeatures() + ", " + weight
                + (bias != null ? ", bias" : "") + ")";
    }
}
