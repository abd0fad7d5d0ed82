package io.jlora.train;

import io.jlora.data.Example;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.quant.QuantizedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures what training a model folder takes: from the resident memory before loading (the engine
 * already started) to the peak while loading it and running two steps (the second is the first with
 * AdamW's state already there, the steady state) on {@code batch} sequences of {@code seqLen} fixed
 * token ids, gradient checkpointing on. Three set-ups, the columns of the {@code memory} table: full
 * fine-tuning ({@link #FULL}: loaded as float32, every weight trained), and LoRA of rank r on every
 * projection over a frozen base stored as a quantization names it ({@code float16} for plain LoRA,
 * {@code int4} for QLoRA, ...). Linux only (the peak mark is reset through /proc/self/clear_refs);
 * elsewhere the figures are -1.
 *
 * <p>{@link #inChildProcess} runs it in a fresh JVM: in a process that has trained before, the
 * allocator holds freed memory that a new run reuses without growing the resident set, so the
 * figure would say less than a fresh process needs.
 */
public final class MemoryProbe {

    /** Resident bytes before loading, the peak during load and steps, and their difference. */
    public record Measured(long baselineBytes, long peakBytes, int steps, double seconds) {
        public long addedBytes() {
            return baselineBytes < 0 || peakBytes < 0 ? -1 : peakBytes - baselineBytes;
        }
    }

    /** The set-up name of full fine-tuning; any other is the stored form of LoRA's frozen base. */
    public static final String FULL = "full";

    private MemoryProbe() {}

    /** Runs {@link #fullFineTuning} in a fresh JVM with this one's class path and DJL settings. */
    public static Measured inChildProcess(Path modelDir, String device, int batch, int seqLen) {
        return inChildProcess(modelDir, device, batch, seqLen, FULL, 16);
    }

    /**
     * Runs {@link #training} in a fresh JVM with this one's class path and DJL settings (and the
     * glibc allocator settings of this process's environment, inherited).
     */
    public static Measured inChildProcess(Path modelDir, String device, int batch, int seqLen, String setup, int loraR) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("ai.djl."))
                .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), MemoryProbe.class.getName(),
                modelDir.toAbsolutePath().toString(), device, String.valueOf(batch), String.valueOf(seqLen), setup,
                String.valueOf(loraR)));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int code = p.waitFor();
            for (String line : out.split("\\R")) {
                if (line.startsWith(RESULT)) {
                    String[] f = line.substring(RESULT.length()).trim().split(" ");
                    return new Measured(Long.parseLong(f[0]), Long.parseLong(f[1]), Integer.parseInt(f[2]),
                            Double.parseDouble(f[3]));
                }
            }
            throw new io.jlora.JloraException("measuring " + describe(setup) + " of " + modelDir + " failed (exit " + code + "): "
                    + out.strip().lines().reduce((a, b) -> b).orElse("no output"));
        } catch (java.io.IOException e) {
            throw new io.jlora.JloraException("cannot start a JVM to measure full fine-tuning: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.jlora.JloraException("measuring full fine-tuning was interrupted", e);
        }
    }

    private static final String RESULT = "memory-probe-result";

    /** {@code MemoryProbe DIR DEVICE BATCH SEQ_LEN [SETUP LORA_R]}: prints one result line (see {@link #inChildProcess}). */
    public static void main(String[] args) {
        Measured m = training(Path.of(args[0]), args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                args.length > 4 ? args[4] : FULL, args.length > 5 ? Integer.parseInt(args[5]) : 16);
        System.out.println(RESULT + " " + m.baselineBytes() + " " + m.peakBytes() + " " + m.steps() + " " + m.seconds());
    }

    /** Full fine-tuning, measured in this process (see the class comment for when that says less than a fresh one needs). */
    public static Measured fullFineTuning(Path modelDir, String device, int batch, int seqLen) {
        return training(modelDir, device, batch, seqLen, FULL, 16);
    }

    /** "full fine-tuning", or "LoRA r N over a float16 base" and the like, for messages. */
    static String describe(String setup) {
        return FULL.equals(setup) ? "full fine-tuning" : "LoRA over a " + setup + " base";
    }

    /** {@code setup}: {@link #FULL}, or the stored form of LoRA's frozen base (float16, int4, int8, ...). */
    public static Measured training(Path modelDir, String device, int batch, int seqLen, String setup, int loraR) {
        // the engine's native library and threads are the runtime's, not the model's: start them first
        try (ai.djl.ndarray.NDManager warm = ai.djl.ndarray.NDManager.newBaseManager()) {
            warm.ones(new ai.djl.ndarray.types.Shape(8, 8)).matMul(warm.ones(new ai.djl.ndarray.types.Shape(8, 8))).sum().getFloat();
        }
        System.gc();
        long baseline = MemoryStats.rssBytes();
        boolean reset = MemoryStats.resetPeak();
        long started = System.nanoTime();
        int steps = 2;
        boolean full = FULL.equals(setup);
        try (CausalLm lm = full ? CausalLm.load(modelDir, device, "float32")
                : QuantizedModels.load(modelDir, device, "auto", setup)) {
            TrainableModel model;
            if (full) {
                model = FullTraining.of(lm);
            } else {
                Adapters.of(lm).add("default", LoraConfig.builder().r(loraR).targetModules("all-linear").build(), 42);
                model = LoraTraining.of(lm);
            }
            int vocab = lm.config().vocabSize();
            List<Example> examples = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                long[] ids = new long[seqLen];
                for (int t = 0; t < seqLen; t++) {
                    ids[t] = (b * 7919L + t * 104729L + 13) % vocab;
                }
                examples.add(Example.of(ids));
            }
            TrainerConfig config = TrainerConfig.builder().batchSize(batch).scheduler("constant").warmupSteps(0)
                    .shuffle(false).steps(steps).build();
            try (Trainer trainer = Trainer.sft(model, examples, List.of(), config)) {
                trainer.train();
            }
        }
        long peak = reset ? MemoryStats.peakRssBytes() : -1;
        return new Measured(baseline, peak, steps, (System.nanoTime() - started) / 1e9);
    }
}
