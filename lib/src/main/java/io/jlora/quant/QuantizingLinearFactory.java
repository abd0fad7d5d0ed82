package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import io.jlora.model.WeightSource;

/**
 * Quantizes each decoder-layer projection as its weight is read from the checkpoint and closes
 * the float weight at once, so loading holds the quantized model plus one float matrix, never the
 * whole float model. Biases stay in the model's type; the embedding and the head are kept in
 * float16 (converted while read).
 */
public final class QuantizingLinearFactory implements Float16HeadFactory {

    private final Quantization quantization;
    private final int blockSize;
    /** The transient float weights of this model's 4-bit projections. */
    private final WeightScratch scratch = new WeightScratch();

    public QuantizingLinearFactory(Quantization quantization) {
        this(quantization, FourBitSpec.DEFAULT_BLOCK_SIZE);
    }

    public QuantizingLinearFactory(Quantization quantization, int blockSize) {
        this.quantization = quantization;
        this.blockSize = FourBitSpec.checkBlockSize(blockSize);
    }

    /** Any stored form but none keeps the embedding and head in float16 too. */
    @Override
    public DataType embeddingType() {
        return quantization == Quantization.NONE ? null : DataType.FLOAT16;
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
                default: return QuantizedLinear.quantize(path, weight, bias, quantization.fourBitSpec(blockSize),
                        scratch);
            }
        } finally {
            weight.close();
        }
    }
}
