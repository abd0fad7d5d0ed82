package io.jlora.train;

import ai.djl.ndarray.NDArray;
import io.jlora.JloraException;
import io.jlora.lora.Adapters;
import io.jlora.model.CausalLm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter of a loaded model as a {@link TrainableModel}: its trainable arrays are the
 * adapter's lora_A/lora_B (and DoRA magnitude) arrays by PEFT key, training mode is the adapters'
 * (LoRA dropout), the DPO reference is the model with adapters disabled, and checkpoints include
 * the adapter as a PEFT folder.
 */
public final class LoraTraining extends CausalLmTraining {

    private final Adapters adapters;
    private final String name;

    private LoraTraining(CausalLm lm, Adapters adapters, String name) {
        super(lm);
        this.adapters = adapters;
        this.name = name;
    }

    /** The model's active adapter (the one attached or loaded first, or chosen with use()). */
    public static LoraTraining of(CausalLm lm) {
        Adapters adapters = Adapters.of(lm);
        List<String> active = adapters.active();
        if (active.isEmpty()) {
            throw new JloraException("no adapter to train: attach one first (attach --lora-r 16 ...)");
        }
        if (active.size() > 1) {
            throw new JloraException("several adapters are active " + active + "; use one of them to train it");
        }
        return new LoraTraining(lm, adapters, active.get(0));
    }

    /** Adapter {@code name}, made the active one. */
    public static LoraTraining of(CausalLm lm, String name) {
        Adapters adapters = Adapters.of(lm);
        if (!adapters.active().equals(List.of(name))) {
            adapters.use(name);
        }
        return new LoraTraining(lm, adapters, name);
    }

    public String adapterName() {
        return name;
    }

    @Override
    public Map<String, NDArray> parameters() {
        if (adapters.merged()) {
            throw new JloraException("adapter '" + name + "' is merged into the base weights; unmerge it before training");
        }
        return adapters.parameters(name);
    }

    @Override
    public void training(boolean on) {
        adapters.training(on);
    }

    @Override
    public boolean hasReferenceMode() {
        return true;
    }

    @Override
    public AutoCloseable reference() {
        return adapters.disable();
    }

    @Override
    public void save(Path dir) {
        adapters.writeInto(name, dir);
    }
}
