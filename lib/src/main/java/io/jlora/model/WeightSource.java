package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Where the decoder's base weights come from, by transformers' parameter name. */
public interface WeightSource {

    boolean has(String name);

    /**
     * The weight {@code name}, checked to have {@code shape}, in the model's type and on its
     * device. Throws a {@link io.jlora.io.ModelFormatException} naming the file and the key when it
     * is absent or shaped otherwise.
     */
    NDArray get(String name, long... shape);

    /**
     * As {@link #get(String, long...)}, stored in the floating type {@code type} (null: the
     * model's type), e.g. a frozen embedding kept in float16 while the model computes in float32.
     * Sources that can should convert while reading, so that the model-type copy is never whole.
     */
    default NDArray get(String name, DataType type, long... shape) {
        NDArray a = get(name, shape);
        if (type == null || a.getDataType() == type) {
            return a;
        }
        NDArray converted = a.toType(type, false);
        a.close();
        return converted;
    }

    /**
     * The tensor {@code name} as the checkpoint stores it (any dtype, e.g. the packed uint8 bytes of
     * a bitsandbytes 4-bit weight; bfloat16 arrives as float32), unchecked, on the model's device.
     * Sources that only know float weights do not support it.
     */
    default NDArray getStored(String name) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " reads float weights only, not " + name);
    }
}
