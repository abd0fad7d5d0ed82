package io.jlora.model.autograd;

import io.jlora.model.CausalLm;
import io.jlora.model.Family;
import io.jlora.model.Linear;
import io.jlora.model.RandomModels;
import io.jlora.model.autograd.GradRecording;
import io.jlora.model.generate.GenerationConfig;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inference must not record gradients on a thread where libtorch records them, as a kernel's cell
 * thread does: with a trainable adapter attached, every generation step would otherwise keep its
 * activations for a backward pass that never comes.
 */
class GradRecordingTest {

    @TempDir
    static Path tmp;

    private static CausalLm lm;
    /** Whether recording was on at each forward of the probed projection. */
    private static final List<Boolean> seen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void load() {
        lm = CausalLm.load(RandomModels.write(tmp.resolve("m"),
                RandomModels.Spec.of(Family.LLAMA, 32, 2, 4, 2, 64, 300, 5)), "cpu", "auto");
        lm.decoder().replaceLinear("model.layers.0.self_attn.q_proj", Probe::new);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void aNewThreadRecordsByDefaultSoInferenceMustTurnItOff() throws Exception {
        boolean onByDefault = CompletableFuture.supplyAsync(GradRecording::isOn, r -> new Thread(r).start()).get();
        assertTrue(onByDefault, "libtorch's default on a new thread (why inference turns it off)");
    }

    @Test
    void generateAndScoreRunWithoutRecordingAndRestoreTheThreadsSetting() throws Exception {
        seen.clear();
        boolean after = CompletableFuture.supplyAsync(() -> {
            lm.generate(new long[] {1, 2, 3}, GenerationConfig.greedy(3).withStopAtEos(false));
            lm.score(List.of(new long[] {1, 2, 3, 4}));
            return GradRecording.isOn();
        }, r -> new Thread(r).start()).get();
        assertFalse(seen.isEmpty());
        assertFalse(seen.contains(true), "a forward of generate or score recorded gradients: " + seen);
        assertTrue(after, "the cell thread's own setting is put back");
    }

    @Test
    void scopesNest() {
        try (GradRecording.Scope on = GradRecording.set(true)) {
            try (GradRecording.Scope off = GradRecording.off()) {
                assertFalse(GradRecording.isOn());
            }
            assertTrue(GradRecording.isOn());
        }
    }

    /** Passes through, noting the thread's recording state. */
    private record Probe(Linear inner) implements Linear {
        @Override
        public String path() {
            return inner.path();
        }

        @Override
        public NDArray weight() {
            return inner.weight();
        }

        @Override
        public NDArray bias() {
            return inner.bias();
        }

        @Override
        public NDArray forward(NDArray x) {
            seen.add(GradRecording.isOn());
            return inner.forward(x);
        }
    }
}
