package io.jlora.train;

import io.jlora.JloraException;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.lora.LoraConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * LoRA training on an NVIDIA GPU, which the jlora-gpu module provides (a Java 22+ jar: CUDA through
 * the FFM API, no DJL): {@code train --device gpu} hands it tokenized rows and the same
 * {@link LoraConfig} and {@link TrainerConfig} as the CPU trainer and gets back a PEFT adapter folder.
 * Everything here is plain data, so the module loads no DJL engine.
 */
public interface GpuTraining {

    /**
     * One run: train {@code lora} on {@code rows} for {@code config}'s steps (or epochs) on GPU
     * {@code device}, then write the PEFT adapter (adapter_config.json, adapter_model.safetensors) into
     * {@code adapterOut}, a folder that must not exist yet; {@code evalRows} / {@code evalPairs} are
     * held out and evaluated as the CPU trainer evaluates them. {@code quantization}: the base's
     * {@code --quantization} (int4, nf4, fp4: QLoRA over a 4-bit base; int8), or null for BF16. With
     * {@code config.saveEvery()} checkpoints go to {@code config.outputDir()/checkpoint-STEP} in the CPU
     * trainer's format ({@link Checkpoint}); {@code resumeFrom} (or null) is such a checkpoint, written
     * by either trainer, to continue from: {@code config.steps()} counts from the run's start.
     */
    record Job(Path model, List<Example> rows, LoraConfig lora, TrainerConfig config, String quantization, int device,
            Path adapterOut, Progress progress, Path resumeFrom, List<PreferenceExample> pairs, List<Example> evalRows,
            List<PreferenceExample> evalPairs) {

        /** An SFT job without eval rows. */
        public Job(Path model, List<Example> rows, LoraConfig lora, TrainerConfig config, String quantization,
                int device, Path adapterOut, Progress progress, Path resumeFrom) {
            this(model, rows, lora, config, quantization, device, adapterOut, progress, resumeFrom, null, List.of(),
                    List.of());
        }

        /** A DPO job over {@code pairs} (TRL's sigmoid loss, {@code config.dpoBeta()}, the reference = the adapter disabled). */
        public static Job dpo(Path model, List<PreferenceExample> pairs, List<PreferenceExample> evalPairs,
                LoraConfig lora, TrainerConfig config, String quantization, int device, Path adapterOut,
                Progress progress, Path resumeFrom) {
            return new Job(model, List.of(), lora, config, quantization, device, adapterOut, progress, resumeFrom, pairs,
                    List.of(), evalPairs);
        }

        public boolean isDpo() {
            return pairs != null;
        }
    }

    /** Called after every optimizer step. */
    interface Progress {
        void onStep(long step, long totalSteps, double loss, double lr, double gradNorm, double tokensPerSecond);
    }

    /**
     * What a run did; {@code evalLoss}: the last evaluation's mean loss (every {@code config.evalEvery()}
     * steps and at the end, as the CPU trainer evaluates), NaN without eval examples;
     * {@code deviceBytes}: the most device memory its buffers held.
     */
    record Result(long steps, double firstLoss, double lastLoss, double evalLoss, double tokensPerSecond, String device,
            long deviceBytes) {
    }

    Result train(Job job);

    /**
     * The GPU trainer on the class path, or one line saying what is missing: the jlora-gpu jar, or a
     * Java new enough to run it.
     */
    static GpuTraining load() {
        try {
            return ServiceLoader.load(GpuTraining.class).findFirst().orElseThrow(() -> new JloraException(
                    "--device gpu: jlora-gpu.jar is not on the class path (bin/jlora adds gpu/target/jlora-gpu.jar"
                            + " when --device gpu is given; build it with a JDK >= 22)"));
        } catch (java.util.ServiceConfigurationError | UnsupportedClassVersionError e) {
            throw new JloraException("--device gpu: the GPU trainer needs Java 22 or newer (this is Java "
                    + Runtime.version().feature() + "); set JAVA_HOME to a JDK >= 22");
        }
    }
}
