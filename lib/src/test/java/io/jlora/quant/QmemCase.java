package io.jlora.quant;

import io.jlora.data.Example;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.train.LoraTraining;
import io.jlora.train.MemoryStats;
import io.jlora.train.StepMetrics;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One case of bench/qmem in a JVM of its own: load {@code DIR} with the frozen projections stored
 * as {@code QUANTIZATION} says (float16 for LoRA, int4 for QLoRA), attach LoRA r 16 on all linear
 * layers, train {@code STEPS} steps of batch 1 x {@code SEQ} tokens with gradient checkpointing,
 * and print the whole-process peak resident memory (VmHWM, never reset: everything since the JVM
 * started counts, mapped checkpoint pages, JVM and libtorch included) beside the goal, the seed's
 * table, the project's {@link MemoryEstimate} and the HF PEFT figure the guide measured.
 */
final class QmemCase {

    private static final double GIB = 1L << 30;

    /** The seed's table (GB): full / LoRA / LoRA+4-bit, by model. */
    private static double[] seedTable(String label) {
        return switch (label) {
            case "1B" -> new double[] {8, 4, 3};
            case "7B" -> new double[] {56, 16, 8};
            default -> new double[] {Double.NaN, Double.NaN, Double.NaN};
        };
    }

    private QmemCase() {}

    static void run(String label, Path dir, String quantization, int seq, int steps, double goalGib) {
        long start = System.nanoTime();
        double jvmStart = gib(MemoryStats.rssBytes());
        boolean fourBit = Quantization.parse(quantization).isFourBit();
        MemoryEstimate estimate = MemoryEstimate.of(dir, 16, 1, seq);
        try (CausalLm lm = QuantizedModels.load(dir, "cpu", "auto", quantization)) {
            double loaded = gib(MemoryStats.rssBytes());
            double loadPeak = gib(MemoryStats.peakRssBytes());
            Adapters.of(lm).add("default", LoraConfig.builder().r(16).loraAlpha(32).loraDropout(0.05)
                    .targetModules("all-linear").build(), 42);
            LoraTraining model = LoraTraining.of(lm);
            double attached = gib(MemoryStats.rssBytes());
            long[] ids = new long[seq];
            for (int t = 0; t < seq; t++) {
                ids[t] = (t * 104729L + 13) % lm.config().vocabSize();
            }
            TrainerConfig config = TrainerConfig.builder().lr(2e-4).batchSize(1).scheduler("constant").warmupSteps(0)
                    .maxGradNorm(1.0).shuffle(false).gradientCheckpointing(true).steps(steps).build();
            System.out.printf(Locale.ROOT, "%s %s: JVM heap max %.2f GiB (committed %.2f); RSS at JVM start %.2f,"
                    + " after load %.2f (load peak %.2f), after attach %.2f GiB%n", label, quantization,
                    Runtime.getRuntime().maxMemory() / GIB, Runtime.getRuntime().totalMemory() / GIB, jvmStart, loaded,
                    loadPeak, attached);
            try (Trainer trainer = Trainer.sft(model, List.of(Example.of(ids)), List.of(), config);
                    PeakTrace trace = "1".equals(System.getenv("TRACE")) ? PeakTrace.start() : null) {
                for (int s = 1; s <= steps; s++) {
                    StepMetrics m = trainer.step();
                    System.out.printf(Locale.ROOT, "  step %d: loss %.4f, %.1f s, RSS after %.2f GiB, peak so far %.2f GiB,"
                            + " JVM heap committed %.2f GiB%n", s, m.loss(), m.seconds(), gib(MemoryStats.rssBytes()),
                            gib(MemoryStats.peakRssBytes()), Runtime.getRuntime().totalMemory() / GIB);
                }
                if (trace != null) {
                    trace.print(12);
                }
            }
        }
        double peak = gib(MemoryStats.peakRssBytes());
        double[] seed = seedTable(label);
        double estimated = fourBit ? estimate.lora4bitGb() : estimate.loraGb();
        double seedFigure = fourBit ? seed[2] : seed[1];
        System.out.printf(Locale.ROOT, "qmem-result model=%s mode=%s peak_gib=%.2f goal_gib=%.1f %s estimate_gib=%.2f"
                + " seed_gb=%.0f seconds=%.0f%n", label, fourBit ? "lora+4bit" : "lora", peak, goalGib,
                peak < goalGib ? "PASS" : "FAIL", estimated, seedFigure, (System.nanoTime() - start) / 1e9);
    }

    private static double gib(long bytes) {
        return bytes / GIB;
    }
}
