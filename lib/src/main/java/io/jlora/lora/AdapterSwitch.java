package io.jlora.lora;

import java.util.List;

/**
 * What every adapted layer of one model consults on each forward: which adapters are active,
 * whether adapters are disabled (plain base model), and whether the model is training (dropout on).
 * One instance per {@link Adapters}, shared by its layers, so that switching is one assignment.
 */
final class AdapterSwitch {

    private volatile List<String> active = List.of();
    private volatile boolean enabled = true;
    private volatile boolean training;

    List<String> active() {
        return active;
    }

    void setActive(List<String> names) {
        this.active = List.copyOf(names);
    }

    boolean enabled() {
        return enabled;
    }

    void setEnabled(boolean on) {
        this.enabled = on;
    }

    boolean training() {
        return training;
    }

    void setTraining(boolean on) {
        this.training = on;
    }
}
