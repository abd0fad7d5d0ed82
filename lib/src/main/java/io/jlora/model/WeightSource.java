package io.jlora.model;

import ai.djl.ndarray.NDArray;

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
     * The tensor {@code name} as the checkpoint stores it (any dtype, e.g. the packed uint8 bytes of
     * a bitsandbytes 4-bit weight; bfloat16 arrives as float32), unchecked, on the model's device.
     * Sources that only know float weights do not support it.
     */
    default NDArray getStored(String name) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " reads float weights only, not " + name);
    }
}
