package io.jlora.train;

import ai.djl.engine.Engine;
import io.jlora.data.Example;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.quant.QuantizedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Full fine-tuning beside LoRA and LoRA on a 4-bit base, driven by bench/fullft/run.sh (one
 * configuration per process, so that no run inherits another's allocator state; the PyTorch eager
 * reference runs beside it). Not a unit test.
 *
 * <pre>
 *   FullFtBench DIR BATCH SEQ STEPS full|lora|lora-nf4
 * </pre>
 *
 * full: every weight, float32, AdamW on all; lora: r 16, alpha 32, dropout 0.05 on all linear
 * layers of a float32 base; lora-nf4: the same on an NF4 base (QLoRA's recipe). AdamW lr 2e-4,
 * constant, no clipping, gradient checkpointing on, the ids of {@link TrainBench#ids}. Prints per
 * step loss, seconds and tokens/s, then one {@code fullft-result} line: steady-state tokens/s (first
 * step excluded), the whole-process peak RSS, the RSS before loading (the engine started), and the
 * peak above it (what loading and training the model took), in MiB.
 */
public final class FullFtBench {

    private FullFtBench() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int batch = Integer.parseInt(args[1]);
        int seq = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        String mode = args[4];
        // the engine's native library and threads first: torch_full.py's baseline is after "import torch" too
        try (ai.djl.ndarray.NDManager warm = ai.djl.ndarray.NDManager.newBaseManager()) {
            warm.ones(new ai.djl.ndarray.types.Shape(8, 8)).matMul(warm.ones(new ai.djl.ndarray.types.Shape(8, 8))).sum().getFloat();
        }
        System.gc();
        double before = MemoryStats.rssBytes() / 1048576.0;
        MemoryStats.resetPeak();
        try (CausalLm lm = mode.equals("lora-nf4") ? QuantizedModels.load(dir, "cpu", "float32", "nf4")
                : CausalLm.load(dir, "cpu", "float32")) {
            double loaded = MemoryStats.rssBytes() / 1048576.0;
            TrainableModel model;
            switch (mode) {
                case "full" -> model = FullTraining.of(lm);
                case "lora", "lora-nf4" -> {
                    Adapters.of(lm).add("default", LoraConfig.builder().r(16).loraAlpha(32).loraDropout(0.05)
                            .targetModules("all-linear").build(), 42);
                    model = LoraTraining.of(lm);
                }
                default -> throw new IllegalArgumentException("mode: full, lora or lora-nf4, not " + mode);
            }
            long trainable = model.parameters().values().stream().mapToLong(a -> a.size()).sum();
            System.out.printf("jlora %s: DJL %s, %s threads, %.0fM parameters, %.2fM trainable; RSS before loading %.0f MiB,"
                    + " with the model loaded %.0f MiB%n", mode, Engine.getInstance().getVersion(),
                    System.getProperty("ai.djl.pytorch.num_threads", "default"), lm.config().parameterCount() / 1e6,
                    trainable / 1e6, before, loaded);
            List<Example> examples = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                examples.add(Example.of(TrainBench.ids(b, seq, lm.config().vocabSize())));
            }
            TrainerConfig config = TrainerConfig.builder().lr(2e-4).batchSize(batch).scheduler("constant").warmupSteps(0)
                    .maxGradNorm(0).shuffle(false).gradientCheckpointing(true).steps(steps).build();
            double tokens = 0;
            double seconds = 0;
            try (Trainer trainer = Trainer.sft(model, examples, List.of(), config)) {
                for (int s = 1; s <= steps; s++) {
                    StepMetrics m = trainer.step();
                    if (s > 1) {
                        tokens += m.tokens();
                        seconds += m.seconds();
                    }
                    System.out.printf("  step %d: loss %.6f, %.2f s, %.0f tokens/s, peak RSS so far %.0f MiB%s%n", s, m.loss(),
                            m.seconds(), m.tokensPerSecond(), MemoryStats.peakRssBytes() / 1048576.0,
                            m.skipped() ? " SKIPPED: " + m.note() : "");
                }
            }
            double peak = MemoryStats.peakRssBytes() / 1048576.0;
            System.out.printf("jlora-result mode=%s tokens_per_s=%.1f peak_rss_mib=%.0f before_load_mib=%.0f added_mib=%.0f"
                    + " trainable=%d%n", mode, tokens / seconds, peak, before, peak - before, trainable);
        }
    }
}
