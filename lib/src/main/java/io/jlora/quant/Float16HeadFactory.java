package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import io.jlora.model.LinearFactory;

/**
 * A {@link LinearFactory} that may keep the embedding and the head in float16 (quantized models
 * do, as bitsandbytes does): a head whose weight arrived in float16 computes through
 * {@link Float16Linear}, any other stays a plain {@link DenseLinear}.
 */
interface Float16HeadFactory extends LinearFactory {

    @Override
    default Linear head(String path, NDArray weight, NDArray bias) {
        return weight.getDataType() == DataType.FLOAT16 ? new Float16Linear(path, weight, bias)
                : new DenseLinear(path, weight, bias);
    }
}
