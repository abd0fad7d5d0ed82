package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import io.jlora.model.LinearFactory;
import io.jlora.model.WeightSource;

/**
 * Quantizes each decoder-layer projection as its weight is read from the checkpoint and closes
 * the float weight at once, so loading holds the quantized model plus one float matrix, never the
 * whole float model. Biases stay in the model's type.
 */
public final class QuantizingLinearFactory implements LinearFactory {

    private final Quantization quantization;
    private final int blockSize;

    public QuantizingLinearFactory(Quantization quantization) {
        this(quantization, FourBitSpec.DEFAULT_BLOCK_SIZE);
    }

    public QuantizingLinearFactory(Quantization quantization, int blockSize) {
        this.quantization = quantization;
        this.blockSize = FourBitSpec.checkBlockSize(blockSize);
    }

    @Override
    public Linear create(String path, long out, long in, boolean hasBias, WeightSource weights) {
        NDArray weight = weights.get(path + ".weight", out, in);
        NDArray bias = hasBias ? weights.get(path + ".bias", out) : null;
        if (quantization == Quantization.NONE) {
            return new DenseLinear(path, weight, bias);
        }
        try {
            switch (quantization) {
                case FLOAT16: return Float16Linear.narrow(path, weight, bias);
                case INT8: return Int8Linear.quantize(path, weight, bias);
                default: return QuantizedLinear.quantize(path, weight, bias, quantization.fourBitSpec(blockSize));
            }
        } finally {
            weight.close();
        }
    }
}
