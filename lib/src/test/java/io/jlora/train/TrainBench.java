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
 * LoRA training benchmark, driven by bench/train/run.sh (which runs the PyTorch eager reference
 * of the same step beside it). Not a unit test: a step on the 124M model takes seconds.
 *
 * <pre>
 *   TrainBench DIR BATCH SEQ STEPS on|off [DROPOUT [QUANTIZATION [none|attention|all]]]
 * </pre>
 *
 * Loads the model as it is, or with {@code --quantization QUANTIZATION} (int4: QLoRA; the last
 * argument: {@code keepQuantizedOutputs}, default the config's); attaches LoRA r 16, alpha 32, dropout DROPOUT (0.05) on all linear layers (PEFT's default init: B = 0),
 * trains STEPS steps (AdamW, lr 2e-4, constant, no clipping) on batch x seq ids that
 * torch_reference.py makes the same way, with gradient checkpointing on or off, and prints per
 * step: loss, seconds, tokens/s, and the memory the step adds above the loaded model (peak RSS
 * during the step, measured by resetting Linux's high-water mark first, minus the RSS with the
 * model loaded and the adapter attached: what is left resident from an earlier step counts, as
 * the allocator keeps it); then the steady-state tokens/s (first step excluded), the largest
 * step addition and the whole-process peak RSS.
 */
public final class TrainBench {

    private TrainBench() {}

    /** The ids both sides train on: a fixed pattern over the vocabulary. */
    static long[] ids(int row, int seq, int vocab) {
        long[] out = new long[seq];
        for (int t = 0; t < seq; t++) {
            out[t] = (row * 7919L + t * 104729L + 13) % vocab;
        }
        return out;
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int batch = Integer.parseInt(args[1]);
        int seq = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        boolean checkpointing = args[4].equals("on");
        double dropout = args.length > 5 ? Double.parseDouble(args[5]) : 0.05;
        String quantization = args.length > 6 ? args[6] : "none";
        String keepQuantized = args.length > 7 ? args[7] : TrainerConfig.defaults().keepQuantizedOutputs().name();
        long wholeStart = System.nanoTime();
        double wholePeak;
        try (CausalLm lm = quantization.equals("none") ? CausalLm.load(dir, "cpu", "auto")
                : QuantizedModels.load(dir, "cpu", "auto", quantization)) {
            double rssLoaded = MemoryStats.rssBytes() / 1048576.0;
            wholePeak = MemoryStats.peakRssBytes() / 1048576.0; // loading, before any reset
            Adapters.of(lm).add("default", LoraConfig.builder().r(16).loraAlpha(32).loraDropout(dropout)
                    .targetModules("all-linear").build(), 42);
            LoraTraining model = LoraTraining.of(lm);
            long trainable = model.parameters().values().stream().mapToLong(a -> a.size()).sum();
            System.out.printf("jlora: DJL %s, %s threads, %.0fM parameters, LoRA r16 all-linear: %.2fM trainable,"
                    + " gradient checkpointing %s; RSS with the model loaded %.0f MiB%n",
                    Engine.getInstance().getVersion(), System.getProperty("ai.djl.pytorch.num_threads", "default"),
                    lm.config().parameterCount() / 1e6, trainable / 1e6, checkpointing ? "on" : "off", rssLoaded);
            List<Example> examples = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                examples.add(Example.of(ids(b, seq, lm.config().vocabSize())));
            }
            TrainerConfig config = TrainerConfig.builder().lr(2e-4).batchSize(batch).scheduler("constant").warmupSteps(0)
                    .maxGradNorm(0).shuffle(false).gradientCheckpointing(checkpointing).keepQuantizedOutputs(keepQuantized).steps(steps).build();
            double resident = MemoryStats.rssBytes() / 1048576.0; // model loaded, adapter attached
            double tokens = 0;
            double seconds = 0;
            double worstAdded = 0;
            double firstAdded = Double.NaN;
            double firstLoss = Double.NaN;
            try (Trainer trainer = Trainer.sft(model, examples, List.of(), config)) {
                for (int s = 1; s <= steps; s++) {
                    boolean reset = MemoryStats.resetPeak();
                    double before = MemoryStats.rssBytes() / 1048576.0;
                    // -Djlora.bench.profile=FILE: libtorch's profiler over the last step, a Chrome trace in FILE
                    String profile = s == steps ? System.getProperty("jlora.bench.profile") : null;
                    if (profile != null) {
                        ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
                    }
                    StepMetrics m = trainer.step();
                    if (profile != null) {
                        ai.djl.pytorch.jni.JniUtils.stopProfile(profile);
                    }
                    double peak = MemoryStats.peakRssBytes() / 1048576.0;
                    double added = reset ? peak - resident : Double.NaN;
                    wholePeak = Math.max(wholePeak, peak);
                    worstAdded = Math.max(worstAdded, added);
                    if (s == 1) {
                        firstAdded = added;
                        firstLoss = m.loss();
                    }
                    if (s > 1) {
                        tokens += m.tokens();
                        seconds += m.seconds();
                    }
                    System.out.printf("  step %d: loss %.6f, %.2f s, %.0f tokens/s, peak %.0f MiB = loaded model %.0f + %.0f (RSS before the step %.0f)%s%n",
                            s, m.loss(), m.seconds(), m.tokensPerSecond(), peak, resident, added, before,
                            m.skipped() ? " SKIPPED: " + m.note() : "");
                    StringBuilder phases = new StringBuilder();
                    m.phases().forEach((name, sec) -> phases.append(String.format(" %s=%.2f", name, sec)));
                    System.out.printf("jlora-phases step=%d%s%n", s, phases);
                }
            }
            System.out.printf("jlora-result checkpointing=%s tokens_per_s=%.1f step_added_mib=%.0f first_step_added_mib=%.0f first_loss=%.6f%n",
                    checkpointing ? "on" : "off", tokens / seconds, worstAdded, firstAdded, firstLoss);
        }
        wholePeak = Math.max(wholePeak, MemoryStats.peakRssBytes() / 1048576.0);
        System.out.printf("jlora whole-process peak RSS %.0f MiB (%.0f s)%n", wholePeak,
                (System.nanoTime() - wholeStart) / 1e9);
    }
}
