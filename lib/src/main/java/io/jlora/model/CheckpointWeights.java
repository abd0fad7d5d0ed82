package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.TensorInfo;
import java.util.Arrays;

/**
 * Weights read from a safetensors checkpoint one tensor at a time, converted to the model's
 * floating type on the manager's device. The shape is checked from the header before any data is
 * read, so a wrong checkpoint fails fast and names the tensor.
 */
public record CheckpointWeights(SafetensorsCheckpoint checkpoint, NDManager manager, DataType floatType)
        implements WeightSource {

    @Override
    public boolean has(String name) {
        return checkpoint.contains(name);
    }

    @Override
    public NDArray get(String name, long... shape) {
        check(name, shape);
        NDArray loaded = checkpoint.load(name, manager);
        if (loaded.getDataType() == floatType) {
            return loaded;
        }
        NDArray converted = loaded.toType(floatType, false);
        loaded.close();
        return converted;
    }

    /** Converts chunk by chunk while reading: a bfloat16 embedding never exists whole in float32. */
    @Override
    public NDArray get(String name, DataType type, long... shape) {
        check(name, shape);
        return checkpoint.load(name, manager, type == null ? floatType : type);
    }

    private void check(String name, long[] shape) {
        if (!checkpoint.contains(name)) {
            throw new ModelFormatException(checkpoint.source(), name, "weight missing from the checkpoint");
        }
        TensorInfo info = checkpoint.info(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new ModelFormatException(checkpoint.source(), name, "shape " + Arrays.toString(info.shape())
                    + " does not match config.json, which implies " + Arrays.toString(shape));
        }
        if (info.dtype().loadedAs() == null || !info.dtype().loadedAs().isFloating()) {
            throw new ModelFormatException(checkpoint.source(), name, "dtype " + info.dtype() + " is not a float type");
        }
    }

    @Override
    public NDArray getStored(String name) {
        if (!checkpoint.contains(name)) {
            throw new ModelFormatException(checkpoint.source(), name, "tensor missing from the checkpoint");
        }
        return checkpoint.load(name, manager);
    }
}
