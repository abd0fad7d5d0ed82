package io.jlora.magics.commands;

import io.jlora.train.TrainerConfig;
import picocli.CommandLine.Option;

/** The optimisation options of train, dpo and compare, with the seed product's names and defaults. */
final class TrainingOptions {
    @Option(names = "--steps", description = "optimizer steps (default: one epoch when neither --steps nor --epochs)")
    Long steps;

    @Option(names = "--epochs", description = "passes over the data")
    Double epochs;

    @Option(names = "--lr", defaultValue = "2e-4", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--batch-size", defaultValue = "4", description = "default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--gradient-accumulation", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
    int gradientAccumulation;

    @Option(names = "--scheduler", defaultValue = "cosine", description = "cosine, linear or constant (default: ${DEFAULT-VALUE})")
    String scheduler;

    @Option(names = "--warmup-ratio", defaultValue = "0.03", description = "default: ${DEFAULT-VALUE}")
    double warmupRatio;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "default: ${DEFAULT-VALUE}")
    double maxGradNorm;

    @Option(names = "--weight-decay", defaultValue = "0.0", description = "default: ${DEFAULT-VALUE}")
    double weightDecay;

    @Option(names = "--gradient-checkpointing", defaultValue = "true", arity = "0..1", fallbackValue = "true",
            description = "recompute layer activations in the backward pass (default: ${DEFAULT-VALUE})")
    boolean gradientCheckpointing;

    @Option(names = "--seed", defaultValue = "42", description = "default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--eval-every", defaultValue = "0", description = "evaluate every N steps (0: at the end only)")
    long evalEvery;

    /** The trainer config of these options; a bad value is a usage error naming the option. */
    TrainerConfig.Builder builder() {
        if (steps != null && epochs != null) throw new CommandRunner.UsageException("give --steps or --epochs, not both");
        try {
            TrainerConfig.Builder b = TrainerConfig.builder().lr(lr).batchSize(batchSize).gradientAccumulation(gradientAccumulation)
                    .scheduler(scheduler).warmupRatio(warmupRatio).maxGradNorm(maxGradNorm).weightDecay(weightDecay)
                    .gradientCheckpointing(gradientCheckpointing).seed(seed).evalEvery(evalEvery);
            if (steps != null) b.steps(steps);
            if (epochs != null) b.epochs(epochs);
            return b;
        } catch (IllegalArgumentException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
    }
}
