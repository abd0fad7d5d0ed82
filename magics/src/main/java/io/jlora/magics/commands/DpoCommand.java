package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.model.CausalLm;
import io.jlora.train.TrainableModel;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dpo}: as train, on prompt/chosen/rejected data, with the sigmoid DPO loss; the reference model
 * is the same model with the adapter disabled (no second copy of the base). With {@code --peft false}
 * there is no adapter to disable: the reference log-probs of every pair are computed once from the
 * initial weights before the first update (TRL's precompute_ref_log_probs), not from a frozen copy.
 */
@Command(name = "dpo", description = "Preference training (DPO, sigmoid loss); the reference is the base with the adapter disabled"
        + " (with --peft false: the initial weights' log-probs, computed once before the first step). Takes train's options.",
        footer = {"%nExample:%n  dpo --model models/tiny --file pairs.jsonl --steps 50 --dpo-beta 0.1 --output-folder dpo-out"})
public final class DpoCommand extends TrainCommand {
    @Option(names = "--dpo-beta", description = "how far the policy may move from the reference (TRL's beta; default: ${DEFAULT-VALUE})", paramLabel = "NUMBER")
    double beta;

    @Option(names = "--max-prompt-length", defaultValue = "128", description = "prompts are cut to this many tokens (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int maxPromptLength;

    @Override
    Trainer newTrainer(TrainableModel model, CausalLm lm, Dataset data, TokenizeOptions options, TrainerConfig config) {
        return Trainer.dpo(model, data.tokenizePreferences(lm.tokenizer(), options.withMaxPromptLength(maxPromptLength)), config);
    }

    @Override
    TrainerConfig.Builder configure(TrainerConfig.Builder builder) {
        return builder.dpoBeta(beta);
    }
}
