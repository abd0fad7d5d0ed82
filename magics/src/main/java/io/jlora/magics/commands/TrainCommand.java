package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.magics.CommandResult;
import io.jlora.magics.LoraSession;
import io.jlora.magics.view.LiveTrainingView;
import io.jlora.magics.view.StepPoint;
import io.jlora.model.CausalLm;
import io.jlora.train.EvalMetrics;
import io.jlora.train.FullTraining;
import io.jlora.train.LoraTraining;
import io.jlora.train.StepMetrics;
import io.jlora.train.TrainableModel;
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
 * {@code train --steps N | --epochs E [--lr 2e-4] ...}: supervised fine-tuning of the active adapter
 * or, with {@code --peft false}, of every weight (full fine-tuning). In a notebook the loss plot
 * updates live; on the command line it also loads the model (--model), the data (--file), attaches an
 * adapter and at the end merges it (the default) or saves it alone (full fine-tuning: the whole model).
 */
@Command(name = "train", description = {"Trains the active LoRA adapter (SFT), or every weight with --peft false; in a notebook the loss plot updates live.",
        "In one command (bin/jlora): loads --model, reads --file, attaches an adapter, trains, and writes the result to --output-folder:"
                + " the merged model (or, with --merge-adapter false, the PEFT adapter) at its root, checkpoints as checkpoint-STEP/ inside."},
        footer = {"%nExamples:%n  train --steps 60%n  train --model models/tiny --file data.jsonl --steps 100 --quantization int4 --output-folder out",
                "  train --model models/tiny --file data.jsonl --steps 100 --output-folder out --resume-from-checkpoint latest"})
public class TrainCommand extends LoraCommand {
    @Mixin
    TrainingOptions training;

    @Option(names = "--peft", defaultValue = "true", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "true: train a LoRA adapter (the default); false: full fine-tuning, every weight trains (no adapter,"
                    + " AdamW state for all weights, float32 weights, not quantized; saving writes the whole model)")
    boolean peft;

    @Option(names = "--plot", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "show the live loss plot (always on in a notebook)")
    boolean plot;

    @Option(names = "--plot-every", defaultValue = "5", paramLabel = "N", description = "redraw the plot every N steps (default: ${DEFAULT-VALUE})")
    int plotEvery;

    @Option(names = "--save-every", paramLabel = "N",
            description = "write a checkpoint every N steps, as --output-folder's checkpoint-STEP/ (default: ${DEFAULT-VALUE}: none)")
    long saveEvery;

    // ---- the command line's one-shot options: load, data, attach, then save or merge ----

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    OneShotDataOptions data;

    @Mixin
    AttachCommand.LoraOptions lora;

    @Option(names = "--output-folder", paramLabel = "DIR",
            description = "the result at DIR's root (a folder transformers or PEFT loads), checkpoints as DIR/checkpoint-STEP/;"
                    + " checked before the first step")
    Path output;

    @Option(names = "--merge-adapter", defaultValue = "true", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "with --output-folder: save the merged model (default: ${DEFAULT-VALUE}; on a quantized base, the adapter merged"
                    + " into the base folder's float weights, as PEFT gives) or, if false, the PEFT adapter alone;"
                    + " with --peft false the whole model is saved")
    boolean mergeAdapter;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "replace the result in a non-empty --output-folder")
    boolean overwrite;

    @Option(names = "--resume-from-checkpoint", paramLabel = "DIR|latest",
            description = "continue a run from DIR/checkpoint-STEP (latest: the newest in --output-folder) with the same data and options")
    String resumeFrom;

    @Option(names = "--spark-master", paramLabel = "URL",
            description = "train data-parallel on Apache Spark: local[N], spark://HOST:PORT, yarn, k8s://...; each worker loads"
                    + " --model, takes its share of every batch (--batch-size stays the global batch) and the adapter's"
                    + " gradients are summed over the workers; needs --model, --file and --output-folder (a path every"
                    + " worker can write) and jlora's Spark module (build/spark) on the class path")
    String sparkMaster;

    @Option(names = "--workers", defaultValue = "2", paramLabel = "N",
            description = "with --spark-master: the workers (Spark barrier tasks) that train together (default: ${DEFAULT-VALUE})")
    int workers;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** SFT here; the dpo command overrides this. */
    Trainer newTrainer(TrainableModel model, CausalLm lm, Dataset data, TokenizeOptions options, TrainerConfig config) {
        return Trainer.sft(model, data.tokenize(lm.tokenizer(), options), config);
    }

    @Override
    public CommandResult execute() throws Exception {
        if (!peft && modelOptions.load.quantizationOrNull() != null) {
            throw new CommandRunner.UsageException("--quantization needs LoRA: full fine-tuning (--peft false) trains float32 weights");
        }
        io.jlora.train.DataParallel group = session.group();
        // a retried cluster job resumes from the output folder's latest checkpoint, when it has one
        boolean retried = group != null && session.resumeLatest() && output != null
                && !TrainOutput.checkpoints(output.toAbsolutePath().normalize()).isEmpty();
        Path resume = retried ? TrainOutput.resumeFrom("latest", output)
                : resumeFrom != null ? TrainOutput.resumeFrom(resumeFrom, output) : null;
        if (output != null && (group == null || group.rank() == 0)) {
            TrainOutput.checkBeforeTraining(output, overwrite || retried, resume != null,
                    modelOptions.model != null ? modelOptions.model : session.hasModel() ? session.model().dir() : null);
        }
        if (sparkMaster != null) {
            return ClusterTraining.run(this, spec, session, sparkMaster, workers, output, plot, plotEvery);
        }
        if (GpuRoute.wanted(modelOptions.load) && group == null) {
            return GpuRoute.run(this, session, resume);
        }
        // full fine-tuning trains float32 weights whatever the device's default type
        CausalLm lm = modelOptions.resolve(session, peft ? null : "float32", peft);
        if (data.given()) {
            data.loadInto(session, training.seed);
        }
        TrainableModel model;
        if (peft) {
            if (session.adapters().active().isEmpty()) session.adapters().add("default", lora.config(), training.seed);
            model = LoraTraining.of(lm);
        } else {
            model = FullTraining.of(lm);
        }
        boolean writes = output != null && (group == null || group.rank() == 0);
        // how the merged model will be written, or a refusal, before the first step
        MergedOutput.Route route = writes && peft && mergeAdapter ? MergedOutput.plan(session.adapters(), lm, "--merge-adapter false") : null;
        Trainer trainer = newTrainer(model, lm, session.dataset(), data.loss.apply(session.tokenizeOptions()), config());
        if (group != null) {
            trainer.distribute(group);
            session.groupListeners().forEach(trainer::addListener);
        }
        session.setTrainer(trainer);
        if (!peft) session.markFullyTrained();
        Long steps = training.steps;
        if (resume != null) {
            trainer.resume(resume);
            // --steps counts from the start of the run, as Hugging Face's max_steps does
            long target = steps != null ? steps : trainer.plannedSteps();
            steps = Math.max(0, target - trainer.currentStep());
        }
        TrainingSummary summary = run(session, trainer, steps, plot, plotEvery);
        List<Path> written = new ArrayList<>();
        String kind = null;
        if (writes) {
            if (route != null) {
                written = MergedOutput.write(route, session.adapters(), lm, output, overwrite);
                kind = "model";
            } else if (!peft) {
                written = session.adapters().saveMerged(output, overwrite);
                kind = "model";
            } else {
                written = session.adapters().save(session.adapters().active().get(0), output, overwrite);
                kind = "adapter";
            }
        }
        return new Trained(summary, output != null ? output.toAbsolutePath().normalize() : null, kind, written,
                output != null ? TrainOutput.checkpoints(output.toAbsolutePath().normalize()) : List.of(),
                route != null ? MergedOutput.filesMerged(route, lm) : null);
    }

    TrainerConfig config() {
        try {
            TrainerConfig.Builder b = training.builder().saveEvery(saveEvery);
            if (output != null) b.outputDir(output);
            return configure(b).build();
        } catch (io.jlora.InvalidFieldException e) {
            throw ConfigDefaults.usage(e);
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
        TrainingListener listener = viewListener(view, planned, started);
        trainer.addListener(listener);
        try {
            TrainingSummary summary = steps != null ? trainer.train(steps) : trainer.train();
            if (view != null) view.onEnd(summary.stopReason() == TrainingSummary.StopReason.COMPLETED ? "done" : summary.stopReason().name().toLowerCase());
            return summary;
        } finally {
            trainer.removeListener(listener);
        }
    }

    /** Feeds {@code view} (none: a no-op) from a trainer's steps and evaluations, out of {@code planned} steps. */
    static TrainingListener viewListener(LiveTrainingView view, long planned, long started) {
        return new TrainingListener() {
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
    }

    /**
     * What a training run gave: its summary and, when it wrote one, the folder of its result
     * ({@code kind} "model" or "adapter"), the checkpoints in it and, when the model was merged into
     * the base's float files because the base was trained quantized, that base folder ({@code
     * mergedBase}; null otherwise).
     */
    record Trained(TrainingSummary summary, Path output, String kind, List<Path> files, List<Path> checkpoints, Path mergedBase)
            implements CommandResult {
        @Override
        public String text() {
            TrainingSummary s = summary;
            return String.format("%s after %d steps: loss %.4f -> %.4f%s, %.0f tokens/s, peak %.0f MiB resident%s", s.stopReason().name().toLowerCase(),
                    s.steps(), s.firstLoss(), s.lastLoss(), s.evalLoss() != null ? String.format(", eval loss %.4f", s.evalLoss()) : "",
                    s.tokensPerSecond(), s.peakRssMb(), output != null ? "; " + (kind.equals("model") ? "the model" + (mergedBase != null
                            ? " (the base was trained quantized: the adapter merged into the float weights of " + mergedBase + ")" : "") : "the PEFT adapter")
                            + " is in " + output + (checkpoints.isEmpty() ? "" : " (checkpoints: " + checkpoints.size() + ")") : "");
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
            j.put("output_kind", kind);
            // the base was quantized: the model is the adapter merged into this folder's float weights
            if (mergedBase != null) j.put("merged_into_base_files", mergedBase.toString());
            j.put("checkpoints", checkpoints.stream().map(Path::toString).toList());
            j.put("stop_reason", summary.stopReason().name().toLowerCase());
            return j;
        }

        @Override
        public String toString() {
            return text();
        }
    }
}
