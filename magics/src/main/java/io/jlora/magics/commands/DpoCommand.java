package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.train.LoraTraining;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dpo}: as train, on prompt/chosen/rejected data, with the sigmoid DPO loss; the reference model
 * is the same model with the adapter disabled (no second copy of the base).
 */
@Command(name = "dpo", description = "Preference training (DPO, sigmoid loss); the reference is the base with the adapter disabled.")
public final class DpoCommand extends TrainCommand {
    @Option(names = "--dpo-beta", defaultValue = "0.1", description = "default: ${DEFAULT-VALUE}")
    double beta;

    @Option(names = "--max-prompt-length", defaultValue = "128", description = "default: ${DEFAULT-VALUE}")
    int maxPromptLength;

    @Override
    Trainer newTrainer(LoraTraining model, Dataset data, TokenizeOptions options, TrainerConfig config) {
        return Trainer.dpo(model, data.tokenizePreferences(model.model().tokenizer(), options.withMaxPromptLength(maxPromptLength)), config);
    }

    @Override
    TrainerConfig.Builder configure(TrainerConfig.Builder builder) {
        return builder.dpoBeta(beta);
    }
}
