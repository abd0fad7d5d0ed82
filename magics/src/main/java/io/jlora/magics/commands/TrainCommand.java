package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.magics.CommandResult;
import io.jlora.magics.LoraSession;
import io.jlora.magics.view.LiveTrainingView;
import io.jlora.magics.view.StepPoint;
import io.jlora.model.CausalLm;
import io.jlora.train.EvalMetrics;
import io.jlora.train.LoraTraining;
import io.jlora.train.StepMetrics;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import io.jlora.train.TrainingListener;
import io.jlora.train.TrainingSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code train --steps N | --epochs E [--lr 2e-4] ...}: supervised fine-tuning of the active adapter.
 * In a notebook the loss plot updates live; on the command line it also loads the model (--model), the
 * data (--file), attaches an adapter and at the end merges it (the default) or saves it alone.
 */
@Command(name = "train", description = "Trains the active LoRA adapter (SFT); in a notebook the loss plot updates live.")
public class TrainCommand extends LoraCommand {
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

    @Option(names = "--plot", arity = "0..1", fallbackValue = "true", description = "show the live loss plot (always on in a notebook)")
    boolean plot;

    @Option(names = "--plot-every", defaultValue = "5", description = "redraw the plot every N steps (default: ${DEFAULT-VALUE})")
    int plotEvery;

    @Option(names = "--eval-every", defaultValue = "0", description = "evaluate every N steps (0: at the end only)")
    long evalEvery;

    @Option(names = "--save-every", defaultValue = "0", description = "checkpoint every N steps (needs --output-folder)")
    long saveEvery;

    // ---- the command line's one-shot options: load, data, attach, then save or merge ----

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"--file", "--data"}, paramLabel = "F", description = "dataset file (CLI; in a notebook use 'data')")
    Path file;

    @Option(names = "--max-seq-length", description = "with --file (default 512)")
    Integer maxSeqLength;

    @Option(names = "--eval-split", description = "with --file (default 0.0)")
    Double evalSplit;

    @Mixin
    AttachCommand.LoraOptions lora;

    @Option(names = "--output-folder", paramLabel = "DIR", description = "where the result (and checkpoints) go")
    Path output;

    @Option(names = "--merge-adapter", defaultValue = "true", arity = "0..1", fallbackValue = "true",
            description = "with --output-folder: save the merged model (default: ${DEFAULT-VALUE}) or, if false, the adapter alone")
    boolean mergeAdapter;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true")
    boolean overwrite;

    /** SFT here; the dpo command overrides this. */
    Trainer newTrainer(LoraTraining model, Dataset data, TokenizeOptions options, TrainerConfig config) {
        return Trainer.sft(model, data.tokenize(model.model().tokenizer(), options), config);
    }

    @Override
    public CommandResult execute() {
        CausalLm lm = modelOptions.resolve(session);
        if (file != null) {
            TokenizeOptions options = TokenizeOptions.defaults().withMaxSeqLength(maxSeqLength != null ? maxSeqLength : 512)
                    .withEvalSplit(evalSplit != null ? evalSplit : 0.0).withSeed(seed);
            session.setData(Dataset.load(file, io.jlora.data.DataFormat.auto()), options);
        }
        if (session.adapters().active().isEmpty()) session.adapters().add("default", lora.config(), seed);
        TrainerConfig config = config();
        Trainer trainer = newTrainer(LoraTraining.of(lm), session.dataset(), session.tokenizeOptions(), config);
        session.setTrainer(trainer);
        TrainingSummary summary = run(session, trainer, steps, plot, plotEvery);
        List<Path> written = new ArrayList<>();
        if (output != null) {
            written = mergeAdapter ? session.adapters().saveMerged(output.resolve("model"), overwrite)
                    : session.adapters().save(session.adapters().active().get(0), output.resolve("adapter"));
        }
        return new Trained(summary, output, written);
    }

    TrainerConfig config() {
        if (steps != null && epochs != null) throw new CommandRunner.UsageException("give --steps or --epochs, not both");
        try {
            TrainerConfig.Builder b = TrainerConfig.builder().lr(lr).batchSize(batchSize).gradientAccumulation(gradientAccumulation)
                    .scheduler(scheduler).warmupRatio(warmupRatio).maxGradNorm(maxGradNorm).weightDecay(weightDecay)
                    .gradientCheckpointing(gradientCheckpointing).seed(seed).evalEvery(evalEvery).saveEvery(saveEvery);
            if (steps != null) b.steps(steps);
            if (epochs != null) b.epochs(epochs);
            if (output != null) b.outputDir(output.resolve("checkpoints"));
            return configure(b).build();
        } catch (IllegalArgumentException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
    }

    /** Where dpo adds its own options. */
    TrainerConfig.Builder configure(TrainerConfig.Builder builder) {
        return builder;
    }

    /** Runs {@code trainer} for {@code steps} (all planned steps when null), with the live view when wanted. */
    static TrainingSummary run(LoraSession session, Trainer trainer, Long steps, boolean plot, int plotEvery) {
        boolean rich = io.jlora.kernel.runtime.Notebook.current().isRich();
        LiveTrainingView view = rich || plot ? new LiveTrainingView("training loss", plotEvery) : null;
        long planned = steps != null ? trainer.currentStep() + steps : trainer.plannedSteps();
        long started = System.nanoTime();
        TrainingListener listener = new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                if (view != null) {
                    view.onStep(new StepPoint((int) m.step(), (int) planned, m.loss(), m.lr(), Double.NaN, m.tokensPerSecond(),
                            (long) (m.rssMb() * 1024 * 1024), (System.nanoTime() - started) / 1e9));
                }
            }

            @Override
            public void onEval(EvalMetrics m) {
                if (view != null) view.chart().add(new StepPoint((int) m.step(), (int) planned, Double.NaN, 0, m.loss(), 0, 0, 0));
            }
        };
        trainer.addListener(listener);
        try {
            TrainingSummary summary = steps != null ? trainer.train(steps) : trainer.train();
            if (view != null) view.onEnd(summary.stopReason() == TrainingSummary.StopReason.COMPLETED ? "done" : summary.stopReason().name().toLowerCase());
            return summary;
        } finally {
            trainer.removeListener(listener);
        }
    }

    record Trained(TrainingSummary summary, Path output, List<Path> files) implements CommandResult {
        @Override
        public String text() {
            TrainingSummary s = summary;
            return String.format("%s after %d steps: loss %.4f -> %.4f%s, %.0f tokens/s, peak %.0f MiB resident%s", s.stopReason().name().toLowerCase(),
                    s.steps(), s.firstLoss(), s.lastLoss(), s.evalLoss() != null ? String.format(", eval loss %.4f", s.evalLoss()) : "",
                    s.tokensPerSecond(), s.peakRssMb(), output != null ? ", written to " + output : "");
        }

        @Override
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("steps", summary.steps());
            j.put("first_loss", summary.firstLoss());
            j.put("last_loss", summary.lastLoss());
            j.put("eval_loss", summary.evalLoss());
            j.put("tokens_per_s", summary.tokensPerSecond());
            j.put("peak_rss_mb", summary.peakRssMb());
            j.put("output", output != null ? output.toString() : null);
            j.put("stop_reason", summary.stopReason().name().toLowerCase());
            return j;
        }

        @Override
        public String toString() {
            return text();
        }
    }
}
