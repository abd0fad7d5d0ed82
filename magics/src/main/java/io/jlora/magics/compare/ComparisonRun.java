package io.jlora.magics.compare;

import io.jlora.JloraException;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.quant.QuantizedModels;
import io.jlora.train.FullTraining;
import io.jlora.train.LoraTraining;
import io.jlora.train.MemoryStats;
import io.jlora.train.StepMetrics;
import io.jlora.train.TrainableModel;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import io.jlora.train.TrainingListener;
import io.jlora.train.TrainingSummary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Trains one {@link RunSpec} from a fresh load of the base folder (full fine-tuning changes the
 * weights, and each base has its own quantization), measures it, saves its result and closes the
 * model. The process's peak-RSS mark is reset first, so the peak is this run's (on Linux); what an
 * earlier run left in the allocator still counts, so the figures of one process are best compared
 * smallest first, or one configuration per process (bench/fullft does that).
 */
public final class ComparisonRun {
    private final Path modelDir;
    private final String device;
    private final String dtype;
    private final Dataset data;
    private final TokenizeOptions tokenize;
    private final LoraConfig lora;
    private final TrainerConfig config;

    /**
     * @param dtype the dtype of the LoRA runs' bases (auto, float32, float16); full fine-tuning trains float32
     * @param lora the adapter's options; each run sets its own rank
     */
    public ComparisonRun(Path modelDir, String device, String dtype, Dataset data, TokenizeOptions tokenize, LoraConfig lora, TrainerConfig config) {
        this.modelDir = modelDir;
        this.device = device;
        this.dtype = dtype;
        this.data = data;
        this.tokenize = tokenize;
        this.lora = lora;
        this.config = config;
    }

    /**
     * Runs {@code spec}; {@code listener} sees its steps. The result is saved into {@code keep} when
     * given, else into a temporary folder that is deleted once measured.
     */
    public RunResult run(RunSpec spec, TrainingListener listener, Path keep) {
        System.gc();
        MemoryStats.resetPeak();
        long started = System.nanoTime();
        try (CausalLm lm = load(spec)) {
            TrainableModel model = trainable(lm, spec);
            long trainable = model.parameters().values().stream().mapToLong(a -> a.size()).sum();
            TokenizedData<Example> examples = data.tokenize(lm.tokenizer(), tokenize);
            List<Double> losses = new ArrayList<>();
            TrainingSummary summary;
            try (Trainer trainer = Trainer.sft(model, examples, config)) {
                trainer.addListener(new TrainingListener() {
                    @Override
                    public void onStep(StepMetrics m) {
                        losses.add(m.loss());
                    }
                });
                if (listener != null) trainer.addListener(listener);
                summary = trainer.train();
            }
            long bytes = save(lm, spec, keep);
            double peak = MemoryStats.peakRssBytes() / (1024.0 * 1024.0);
            return new RunResult(spec, trainable, summary.firstLoss(), summary.lastLoss(), summary.evalLoss(), peak,
                    summary.tokensPerSecond(), bytes, (System.nanoTime() - started) / 1e9, losses);
        }
    }

    private CausalLm load(RunSpec spec) {
        if (!spec.peft()) return CausalLm.load(modelDir, device, "float32");
        return spec.quantization() == null ? CausalLm.load(modelDir, device, dtype)
                : QuantizedModels.load(modelDir, device, dtype, spec.quantization());
    }

    private TrainableModel trainable(CausalLm lm, RunSpec spec) {
        if (!spec.peft()) return FullTraining.of(lm);
        Adapters.of(lm).add("default", lora.toBuilder().r(spec.r()).build(), config.seed());
        return LoraTraining.of(lm);
    }

    /** Saves what the run produced (the adapter, or the whole model) and returns its size in bytes. */
    private long save(CausalLm lm, RunSpec spec, Path keep) {
        Path scratch = null;
        try {
            Path out;
            if (keep != null) {
                out = keep;
            } else {
                scratch = Files.createTempDirectory("jlora-compare-");
                out = scratch.resolve("out");
            }
            List<Path> files = spec.peft() ? Adapters.of(lm).save("default", out) : Adapters.of(lm).saveMerged(out, keep != null);
            long bytes = 0;
            for (Path f : files) bytes += Files.size(f);
            return bytes;
        } catch (IOException e) {
            throw new JloraException("cannot save the result of " + spec.label() + ": " + e.getMessage(), e);
        } finally {
            if (scratch != null) delete(scratch);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
