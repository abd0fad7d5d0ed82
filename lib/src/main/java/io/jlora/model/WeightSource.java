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
}
