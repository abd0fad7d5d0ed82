package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.jlora.io.SafetensorsFile;
import io.jlora.model.CausalLm;
import io.jlora.model.CausalLmLoss;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Adapters under autograd: PEFT's gradients for A and B (and DoRA's magnitude), nothing for the
 * frozen base, no arrays left behind by a step, and dropout only in training mode.
 */
class TrainingTest {

    private static final Path DIR = TestFiles.golden("llama-tiny");
    private static CausalLm lm;
    private static SafetensorsFile cases;

    @BeforeAll
    static void load() {
        lm = CausalLm.load(DIR.resolve("model"), "cpu", "auto");
        cases = SafetensorsFile.open(DIR.resolve("cases.safetensors"));
    }

    @AfterAll
    static void close() {
        cases.close();
        lm.close();
    }

    @AfterEach
    void unload() {
        Adapters.of(lm).training(false);
        Adapters.of(lm).unload();
    }

    @Test
    void gradientsMatchPeftAndOnlyAdapterParametersGetThem() {
        Adapters adapters = Adapters.of(lm);
        adapters.load(DIR.resolve("adapter"), "default");
        adapters.training(true);
        Map<String, NDArray> params = adapters.parameters("default");
        assertEquals(28, params.size());
        int before = managed(lm.manager());
        try (NDManager step = lm.manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray ids = cases.load("input_ids", step);
            NDArray loss = CausalLmLoss.mean(lm.decoder().forward(ids), ids);
            gc.backward(loss);
            assertEquals(cases.load("loss_adapter", step).getFloat(0), loss.getFloat(), 1e-4);
        }
        assertEquals(before, managed(lm.manager()), "the step's arrays were all closed with it");
        try (NDManager m = lm.manager().newSubManager()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray expected = cases.load("grad." + e.getKey(), m);
                NDArray grad = e.getValue().getGradient();
                double largest = expected.abs().max().getFloat();
                double diff = TestFiles.maxAbsDiff(grad, expected);
                grad.close();
                assertTrue(diff <= 1e-5 * largest, e.getKey() + ": gradient off by " + diff + " (largest " + largest + ")");
            }
        }
        for (NDArray base : lm.decoder().parameters().values()) {
            assertFalse(base.hasGradient(), base.getName() + " is frozen");
        }
    }

    @Test
    void doraTrainsMagnitudeAndLowRankButNotTheBase() {
        Adapters adapters = Adapters.of(lm);
        adapters.load(DIR.resolve("adapter-dora"), "default");
        adapters.training(true);
        int before = managed(lm.manager());
        try (NDManager step = lm.manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray ids = cases.load("input_ids", step);
            gc.backward(CausalLmLoss.mean(lm.decoder().forward(ids), ids));
        }
        assertEquals(before, managed(lm.manager()), "no leaks");
        Map<String, NDArray> params = adapters.parameters("default");
        assertEquals(42, params.size());
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            try (NDArray g = e.getValue().getGradient()) {
                assertTrue(g.abs().sum().getFloat() > 0, e.getKey() + " has a gradient");
            }
        }
        for (NDArray base : lm.decoder().parameters().values()) {
            assertFalse(base.hasGradient(), base.getName() + " is frozen");
        }
    }

    @Test
    void dropoutOnlyWhileTraining() {
        Adapters adapters = Adapters.of(lm);
        adapters.add("d", LoraConfig.builder().r(4).loraDropout(0.5).init(LoraInit.RANDOM).build(), 1);
        long[][] ids = {{3, 4, 5, 6, 7}};
        float[] eval1 = LoraTesting.logits(lm, ids);
        float[] eval2 = LoraTesting.logits(lm, ids);
        assertEquals(0, TestFiles.maxAbsDiff(eval1, eval2), "deterministic in eval mode");
        adapters.training(true);
        float[] train = LoraTesting.logits(lm, ids);
        assertNotEquals(0, TestFiles.maxAbsDiff(eval1, train), "dropout applied in training mode");
    }

    private static int managed(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }
}
