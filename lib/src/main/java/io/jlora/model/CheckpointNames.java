package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The text tower of a multimodal Gemma 3 checkpoint, read under transformers 5's module names
 * ({@code model.language_model.layers...}) whichever layout the file has: Google's releases and
 * transformers' save_pretrained store it as {@code language_model.model.layers...} (and an untied
 * head as {@code language_model.lm_head.weight}). Other models' names pass through.
 */
final class CheckpointNames implements WeightSource {

    private static final String MODULE = "model.language_model.";
    private static final String STORED = "language_model.model.";

    private final WeightSource source;

    private CheckpointNames(WeightSource source) {
        this.source = source;
    }

    /** {@code w} itself unless {@code c}'s module names differ from those stored in {@code w}. */
    static WeightSource of(ModelConfig c, WeightSource w) {
        boolean renamed = c.options().modulePrefix().equals(MODULE) && !w.has(MODULE + "embed_tokens.weight")
                && w.has(STORED + "embed_tokens.weight");
        return renamed ? new CheckpointNames(w) : w;
    }

    private static String stored(String name) {
        if (name.startsWith(MODULE)) {
            return STORED + name.substring(MODULE.length());
        }
        return name.equals("lm_head.weight") ? "language_model.lm_head.weight" : name;
    }

    @Override
    public boolean has(String name) {
        return source.has(stored(name));
    }

    @Override
    public NDArray get(String name, long... shape) {
        return source.get(stored(name), shape);
    }

    @Override
    public NDArray get(String name, DataType type, long... shape) {
        return source.get(stored(name), type, shape);
    }

    @Override
    public NDArray getStored(String name) {
        return source.getStored(stored(name));
    }
}
