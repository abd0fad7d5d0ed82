package io.jlora.magics.commands;

import io.jlora.train.TrainerConfig;
import picocli.CommandLine.Option;

/** The optimisation options of train, dpo and compare; their defaults are TrainerConfig's ({@link ConfigDefaults}). */
final class TrainingOptions {
    @Option(names = "--steps", description = "optimizer steps (default: one epoch when neither --steps nor --epochs)")
    Long steps;

    @Option(names = "--epochs", description = "passes over the data")
    Double epochs;

    @Option(names = "--lr", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--batch-size", description = "default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--gradient-accumulation", description = "default: ${DEFAULT-VALUE}")
    int gradientAccumulation;

    @Option(names = "--scheduler", description = "cosine, linear or constant (default: ${DEFAULT-VALUE})")
    String scheduler;

    @Option(names = "--warmup-ratio", description = "default: ${DEFAULT-VALUE}")
    double warmupRatio;

    @Option(names = "--max-grad-norm", description = "default: ${DEFAULT-VALUE}")
    double maxGradNorm;

    @Option(names = "--weight-decay", description = "default: ${DEFAULT-VALUE}")
    double weightDecay;

    @Option(names = "--gradient-checkpointing", arity = "0..1", fallbackValue = "true",
            description = "recompute layer activations in the backward pass (default: ${DEFAULT-VALUE})")
    boolean gradientCheckpointing;

    @Option(names = "--seed", description = "default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--eval-every", description = "evaluate every N steps (0: at the end only)")
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
        } catch (io.jlora.InvalidFieldException e) {
            throw ConfigDefaults.usage(e);
        }
    }
}
