package io.jlora.magics.commands;

import io.jlora.train.TrainerConfig;
import picocli.CommandLine.Option;

/** The optimisation options of train, dpo and compare, with transformers' names and jlora's defaults. */
final class TrainingOptions {
    @Option(names = "--steps", description = "optimizer steps (default: one epoch when neither --steps nor --epochs)", paramLabel = "N")
    Long steps;

    @Option(names = "--epochs", description = "passes over the data", paramLabel = "NUMBER")
    Double epochs;

    @Option(names = "--lr", description = "peak learning rate (default: ${DEFAULT-VALUE})", paramLabel = "LR")
    double lr;

    @Option(names = "--batch-size", description = "examples per micro-batch (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int batchSize;

    @Option(names = "--gradient-accumulation", description = "micro-batches per optimizer step (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int gradientAccumulation;

    @Option(names = "--scheduler", description = "cosine, linear or constant (default: ${DEFAULT-VALUE})", paramLabel = "SCHEDULER")
    String scheduler;

    @Option(names = "--warmup-ratio", description = "fraction of the steps the learning rate warms up over (default: ${DEFAULT-VALUE})", paramLabel = "FRACTION")
    double warmupRatio;

    @Option(names = "--max-grad-norm", description = "clip the gradients' global norm to this; 0 turns clipping off (default: ${DEFAULT-VALUE})", paramLabel = "NUMBER")
    double maxGradNorm;

    @Option(names = "--weight-decay", description = "AdamW's decoupled weight decay (default: ${DEFAULT-VALUE})", paramLabel = "NUMBER")
    double weightDecay;

    @Option(names = "--gradient-checkpointing", arity = "0..1", fallbackValue = "true",
            description = "recompute layer activations in the backward pass (default: ${DEFAULT-VALUE})", paramLabel = "BOOL")
    boolean gradientCheckpointing;

    @Option(names = "--keep-quantized-outputs", arity = "0..1", fallbackValue = "all",
            description = "with gradient checkpointing and a quantized base: which quantized projections' outputs the first pass keeps"
                    + " for the recomputation (float bases keep all): all (46 MiB a layer at 1B and 512 tokens; no 4-bit GEMM"
                    + " recomputed: a QLoRA step about as fast as a float LoRA step), attention (q, k, v, o: 10 MiB a layer, a quarter"
                    + " of the recomputed 4-bit GEMMs spared), none (least memory), or auto: all, else attention, else none, as much as"
                    + " fits in 1 GiB for the batch (default: ${DEFAULT-VALUE}; alone: all)",
            paramLabel = "WHICH")
    String keepQuantizedOutputs;

    @Option(names = "--seed", description = "seed of the adapter's initial weights, dropout and data order (default: ${DEFAULT-VALUE})", paramLabel = "N")
    long seed;

    @Option(names = "--eval-every", description = "evaluate every N steps (0: at the end only)", paramLabel = "N")
    long evalEvery;

    /** The trainer config of these options; a bad value is a usage error naming the option. */
    TrainerConfig.Builder builder() {
        if (steps != null && epochs != null) throw new CommandRunner.UsageException("give --steps or --epochs, not both");
        try {
            TrainerConfig.Builder b = TrainerConfig.builder().lr(lr).batchSize(batchSize).gradientAccumulation(gradientAccumulation)
                    .scheduler(scheduler).warmupRatio(warmupRatio).maxGradNorm(maxGradNorm).weightDecay(weightDecay)
                    .gradientCheckpointing(gradientCheckpointing)
                    .keepQuantizedOutputs(keepQuantizedOutputs).seed(seed).evalEvery(evalEvery);
            if (steps != null) b.steps(steps);
            if (epochs != null) b.epochs(epochs);
            return b;
        } catch (io.jlora.InvalidFieldException e) {
            throw ConfigDefaults.usage(e);
        }
    }
}
