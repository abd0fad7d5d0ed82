package io.jlora.train;

import ai.djl.ndarray.NDArray;
import io.jlora.JloraException;
import io.jlora.model.Decoder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the {@link Trainer} trains: a decoder and a set of named trainable arrays (each requiring a
 * gradient) that its forward pass uses. The trainer knows nothing else of them: LoRA A/B and DoRA
 * magnitudes ({@link LoraTraining}), or every weight for full fine-tuning, look the same to it.
 *
 * <p>The optional hooks: dropout on/off, a reference mode for DPO (the same model without the
 * adapter; without one, DPO precomputes the reference from the initial weights), and saving the trained arrays in a format others can load (a PEFT adapter folder).
 */
public interface TrainableModel {

    Decoder decoder();

    /** The trainable arrays by name (a PEFT key for adapters), in a stable order. */
    Map<String, NDArray> parameters();

    /** Training mode: dropout on. Default: nothing to switch. */
    default void training(boolean on) {}

    /**
     * Switches the model to the DPO reference (e.g. adapters disabled) until the handle is
     * closed. Default: no reference mode.
     */
    default AutoCloseable reference() {
        throw new JloraException("this model has no reference mode (DPO needs one: a LoRA adapter that can be disabled)");
    }

    /**
     * Whether {@link #reference()} gives DPO's reference. When false (full fine-tuning: nothing to
     * disable), DPO computes the reference log-probs of every pair once, from the weights the
     * trainer starts with, before the first update.
     */
    default boolean hasReferenceMode() {
        return false;
    }

    /** Writes the trained arrays into {@code dir} in the model's own format. Default: nothing. */
    default void save(Path dir) {}

    /** A plain decoder and its trainable arrays (e.g. full fine-tuning), with no hooks. */
    static TrainableModel of(Decoder decoder, Map<String, NDArray> parameters) {
        Map<String, NDArray> copy = new LinkedHashMap<>(parameters);
        return new TrainableModel() {
            @Override
            public Decoder decoder() {
                return decoder;
            }

            @Override
            public Map<String, NDArray> parameters() {
                return copy;
            }
        };
    }
}
