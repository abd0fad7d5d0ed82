package io.jlora.magics.commands;

import io.jlora.JloraException;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.io.FolderCommit;
import io.jlora.lora.MergeOptions;
import io.jlora.lora.MergeTool;
import io.jlora.magics.CommandResult;
import io.jlora.magics.HubFolders;
import io.jlora.magics.LoraSession;
import io.jlora.magics.view.LiveTrainingView;
import io.jlora.magics.view.StepPoint;
import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.train.GpuTraining;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code train --device gpu} and {@code dpo --device gpu}: the same options, data and output folder as
 * the CPU path, trained by the jlora-gpu module's CUDA step ({@link GpuTraining}) instead of DJL. The
 * model is read from its folder
 * by the GPU trainer (never loaded through DJL); the result is the PEFT adapter or, by default, the
 * adapter merged into the base on the CPU (lib's {@link MergeTool}), written whole or not at all.
 */
final class GpuRoute {

    private GpuRoute() {
    }

    /** Whether {@code --device} asks for a GPU. */
    static boolean wanted(LoadOptions load) {
        String d = load.device == null ? "" : load.device.trim().toLowerCase();
        return d.equals("gpu") || d.equals("cuda") || d.startsWith("gpu:") || d.startsWith("cuda:");
    }

    static int ordinal(String device) {
        int colon = device.indexOf(':');
        try {
            return colon < 0 ? 0 : Integer.parseInt(device.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
            throw new CommandRunner.UsageException("--device: '" + device + "' is not one of auto, cpu, gpu, gpu:N");
        }
    }

    static CommandResult run(TrainCommand c, LoraSession session, Path resume) {
        String refused = !c.peft ? "full fine-tuning (--peft false)"
                : c.modelOptions.adapter != null ? "--adapter (continuing an adapter)"
                : c.modelOptions.model == null ? "a session's loaded model (give --model)" : null;
        if (refused != null) {
            throw new CommandRunner.UsageException("--device gpu does not support " + refused + " yet");
        }
        Path model = HubFolders.model(c.modelOptions.model, c.modelOptions.load.token);
        if (c.data.given()) {
            c.data.loadInto(session, c.training.seed);
        }
        Dataset data = session.dataset();
        if (data == null) {
            throw new CommandRunner.UsageException("no training data: give --file");
        }
        io.jlora.data.TokenizedData<Example> rows = null;
        io.jlora.data.TokenizedData<PreferenceExample> pairs = null;
        try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
            var options = c.data.loss.apply(session.tokenizeOptions());
            if (c instanceof DpoCommand d) {
                pairs = data.tokenizePreferences(tokenizer, options.withMaxPromptLength(d.maxPromptLength));
            } else {
                rows = data.tokenize(tokenizer, options);
            }
        }
        GpuTraining trainer = GpuTraining.load();
        int every = Math.max(1, c.plotEvery);
        // the live loss plot of a notebook (or --plot), fed as the CPU trainer feeds it; a line per
        // --plot-every steps on a terminal
        boolean rich = io.jlora.kernel.runtime.Notebook.current().isRich();
        LiveTrainingView view = rich || c.plot ? new LiveTrainingView("training loss", every) : null;
        long started = System.nanoTime();
        GpuTraining.Progress progress = (step, total, loss, lr, norm, tps) -> {
            if (view != null) {
                view.onStep(new StepPoint((int) step, (int) total, loss, lr, Double.NaN, tps,
                        io.jlora.train.MemoryStats.rssBytes(),
                        (System.nanoTime() - started) / 1e9));
            } else if (step % every == 0 || step == total) {
                System.err.printf("step %d/%d  loss %.4f  lr %.3g  grad-norm %.3f  %.0f tokens/s%n", step, total, loss, lr,
                        norm, tps);
            }
        };
        var lora = c.lora.config().toBuilder().baseModelNameOrPath(c.modelOptions.model.toString()).build();
        Path out = c.output == null ? null : c.output.toAbsolutePath().normalize();
        boolean merge = out != null && c.mergeAdapter;
        GpuTraining.Result result;
        Path scratch = null;
        try {
            // the adapter is written beside the output (one file system: the commit is a rename)
            Path beside = out != null ? Files.createDirectories(out.getParent())
                    : Path.of(System.getProperty("java.io.tmpdir"));
            scratch = Files.createTempDirectory(beside, ".jlora-gpu-");
            Path adapter = scratch.resolve("adapter");
            String quant = c.modelOptions.load.quantizationOrNull();
            int device = ordinal(c.modelOptions.load.device);
            GpuTraining.Job job = pairs != null
                    ? GpuTraining.Job.dpo(model, pairs.train(), pairs.eval(), lora, c.config(), quant, device, adapter,
                            progress, resume)
                    : new GpuTraining.Job(model, rows.train(), lora, c.config(), quant, device, adapter, progress, resume,
                            null, rows.eval(), List.of());
            result = trainer.train(job);
            if (merge) {
                MergeTool.merge(model, adapter, out, MergeOptions.defaults().withOverwrite(true));
            } else if (out != null) {
                try (FolderCommit commit = FolderCommit.begin(out);
                        java.util.stream.Stream<Path> files = Files.list(adapter)) {
                    for (Path f : files.toList()) { // whatever the GPU trainer's adapter writer wrote
                        Files.move(f, commit.staging().resolve(f.getFileName()));
                    }
                    commit.commit();
                }
            }
        } catch (IOException e) {
            throw new JloraException("--device gpu: " + e.getMessage(), e);
        } finally {
            if (scratch != null) {
                try {
                    FolderCommit.deleteTree(scratch);
                } catch (IOException ignored) {
                    // a leftover hidden scratch folder beside the output; nothing of the result
                }
            }
        }
        if (view != null) {
            view.onEnd("done");
        }
        return new GpuTrained(result, out, out == null ? null : merge ? "model" : "adapter");
    }

    /** What {@code train --device gpu} did; JSON keys as the CPU path's where they mean the same. */
    record GpuTrained(GpuTraining.Result result, Path output, String kind) implements CommandResult {
        @Override
        public String text() {
            return String.format("done after %d steps on %s: loss %.4f -> %.4f%s, %.0f tokens/s, %.0f MiB of device memory%s",
                    result.steps(), result.device(), result.firstLoss(), result.lastLoss(),
                    Double.isNaN(result.evalLoss()) ? "" : String.format(", eval loss %.4f", result.evalLoss()),
                    result.tokensPerSecond(),
                    result.deviceBytes() / 1048576.0, output == null ? ""
                            : "; " + (kind.equals("model") ? "the model" : "the PEFT adapter") + " is in " + output);
        }

        @Override
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("steps", result.steps());
            j.put("first_loss", result.firstLoss());
            j.put("last_loss", result.lastLoss());
            j.put("eval_loss", Double.isNaN(result.evalLoss()) ? null : result.evalLoss());
            j.put("tokens_per_s", result.tokensPerSecond());
            j.put("device", result.device());
            j.put("device_memory_mb", result.deviceBytes() / 1048576.0);
            j.put("output", output != null ? output.toString() : null);
            j.put("output_kind", kind);
            j.put("stop_reason", "completed");
            return j;
        }

        @Override
        public String toString() {
            return text();
        }
    }
}
