package io.jlora.train;

import io.jlora.model.CausalLm;
import io.jlora.model.Decoder;

/**
 * A {@link TrainableModel} over a loaded {@link CausalLm}: it holds the model, whose decoder is
 * what the trainer runs. What trains (every weight, or one adapter) is the subclass's to say.
 */
public abstract sealed class CausalLmTraining implements TrainableModel permits FullTraining, LoraTraining {

    private final CausalLm lm;

    CausalLmTraining(CausalLm lm) {
        this.lm = lm;
    }

    public final CausalLm model() {
        return lm;
    }

    @Override
    public final Decoder decoder() {
        return lm.decoder();
    }
}
