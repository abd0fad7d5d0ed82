package io.jlora.gpu.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.JloraException;
import io.jlora.data.Example;
import io.jlora.lora.AdapterConfigJson;
import io.jlora.lora.LoraConfig;
import io.jlora.train.GpuTraining;
import io.jlora.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer behind {@code train --device gpu}, on the host backend: data, schedule, padding, adapter files. */
class GpuLoraTrainerTest {

    @BeforeAll
    static void hostBackend() {
        System.setProperty("jlora.gpu.backend", "host");
    }

    @AfterAll
    static void clear() {
        System.clearProperty("jlora.gpu.backend");
    }

    static List<Example> rows() {
        List<Example> rows = new ArrayList<>();
        for (int r = 0; r < 5; r++) {
            int len = 9 + 3 * r; // different lengths: padding
            long[] ids = new long[len];
            long[] labels = new long[len];
            for (int i = 0; i < len; i++) {
                ids[i] = (r * 31 + i * 7) % 300 + 2;
                labels[i] = i < 3 ? Example.IGNORE : ids[i]; // a prompt that does not count
            }
            rows.add(new Example(ids, labels, r + 1));
        }
        return rows;
    }

    @Test
    void trainsAndWritesAPeftAdapter(@TempDir Path tmp) {
        GpuTraining trainer = GpuTraining.load();
        assertTrue(trainer instanceof GpuLoraTrainer, trainer.getClass().getName());
        List<double[]> progress = new ArrayList<>();
        Path out = tmp.resolve("adapter");
        TrainerConfig config = TrainerConfig.builder().steps(12).lr(5e-3).batchSize(2).gradientAccumulation(2)
                .seed(5).build();
        GpuTraining.Result r = trainer.train(new GpuTraining.Job(GoldenStepTest.GOLDEN.resolve("model"), rows(),
                LoraConfig.defaults(), config, null, 0, out,
                (step, total, loss, lr, norm, tps) -> progress.add(new double[] {step, total, loss, lr}), null));
        assertEquals(12, r.steps());
        assertEquals(12, progress.size());
        assertEquals(12.0, progress.get(11)[1]);
        assertTrue(r.lastLoss() < r.firstLoss() - 0.3, r.firstLoss() + " -> " + r.lastLoss());
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
        LoraConfig back = AdapterConfigJson.read(out, "llama");
        assertEquals(16, back.r());
        assertEquals(32.0, back.loraAlpha());
        TensorFiles t = TensorFiles.open(out.resolve("adapter_model.safetensors"));
        long[] shape = t.shape("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
        assertEquals(64, shape[0]);
        assertEquals(16, shape[1]);
        float[] b = t.floats("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", -1);
        assertTrue(GoldenCase.maxAbs(b) > 0, "B trained away from zero");
    }

    @Test
    void refusesWhatTheStepLacksInOneLine(@TempDir Path tmp) {
        LoraConfig dora = LoraConfig.defaults().toBuilder().useDora(true).build();
        var e = assertThrows(JloraException.class, () -> new GpuLoraTrainer().train(new GpuTraining.Job(
                GoldenStepTest.GOLDEN.resolve("model"), rows(), dora, TrainerConfig.defaults(), null, 0, tmp.resolve("a"),
                null, null)));
        assertEquals("--device gpu: the GPU trainer does not support DoRA yet", e.getMessage());
    }

    @Test
    void packsRightPaddedRowsWithShiftedTargets() {
        Example a = new Example(new long[] {5, 6, 7}, new long[] {Example.IGNORE, 6, 7}, 1);
        int[][] p = GpuLoraTrainer.pack(new Example[] {a}, 1, 4);
        assertEquals(List.of(5, 6, 7, 0), java.util.Arrays.stream(p[0]).boxed().toList());
        assertEquals(List.of(6, 7, -1, -1), java.util.Arrays.stream(p[1]).boxed().toList());
        assertEquals(2, GpuLoraTrainer.predictedTokens(new Example[] {a}));
    }
}
