package io.jlora.train;

import io.jlora.data.Example;
import io.jlora.model.CausalLm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures what full fine-tuning of a model folder takes: in this process, from the resident memory
 * before loading to the peak while loading it as float32 and running two steps (the second is the
 * first with AdamW's state already there, the steady state) on {@code batch} sequences of
 * {@code seqLen} fixed token ids, gradient checkpointing on. Linux only (the peak mark is reset
 * through /proc/self/clear_refs); elsewhere the figures are -1. The model is closed after.
 */
public final class MemoryProbe {

    /** Resident bytes before loading, the peak during load and steps, and their difference. */
    public record Measured(long baselineBytes, long peakBytes, int steps, double seconds) {
        public long addedBytes() {
            return baselineBytes < 0 || peakBytes < 0 ? -1 : peakBytes - baselineBytes;
        }
    }

    private MemoryProbe() {}

    public static Measured fullFineTuning(Path modelDir, String device, int batch, int seqLen) {
        System.gc();
        long baseline = MemoryStats.rssBytes();
        boolean reset = MemoryStats.resetPeak();
        long started = System.nanoTime();
        int steps = 2;
        try (CausalLm lm = CausalLm.load(modelDir, device, "float32")) {
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
            try (Trainer trainer = Trainer.sft(FullTraining.of(lm), examples, List.of(), config)) {
                trainer.train();
            }
        }
        long peak = reset ? MemoryStats.peakRssBytes() : -1;
        return new Measured(baseline, peak, steps, (System.nanoTime() - started) / 1e9);
    }
}
