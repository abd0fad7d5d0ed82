package io.jlora.lora;

import static io.jlora.testing.GoldenLlamaTiny.DIR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.jlora.model.CausalLmLoss;
import io.jlora.testing.GoldenLlamaTiny;
import io.jlora.testing.PeftGradients;
import io.jlora.testing.TestFiles;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Adapters under autograd: PEFT's gradients for A and B (and DoRA's magnitude), nothing for the
 * frozen base, no arrays left behind by a step, and dropout only in training mode.
 */
class TrainingTest {

    @RegisterExtension
    static final GoldenLlamaTiny GOLDEN = new GoldenLlamaTiny();

    @AfterEach
    void unload() {
        Adapters.of(GOLDEN.lm()).training(false);
        Adapters.of(GOLDEN.lm()).unload();
    }

    @Test
    void gradientsMatchPeftAndOnlyAdapterParametersGetThem() {
        Adapters adapters = Adapters.of(GOLDEN.lm());
        adapters.load(DIR.resolve("adapter"), "default");
        adapters.training(true);
        Map<String, NDArray> params = adapters.parameters("default");
        assertEquals(28, params.size());
        int before = managed(GOLDEN.lm().manager());
        try (NDManager step = GOLDEN.lm().manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray ids = GOLDEN.cases().load("input_ids", step);
            NDArray loss = CausalLmLoss.mean(GOLDEN.lm().decoder().forward(ids), ids);
            gc.backward(loss);
            assertEquals(GOLDEN.cases().load("loss_adapter", step).getFloat(0), loss.getFloat(), 1e-4);
        }
        assertEquals(before, managed(GOLDEN.lm().manager()), "the step's arrays were all closed with it");
        PeftGradients.assertOnlyAdaptersGetPeftsGradients(GOLDEN.lm(), params, GOLDEN.cases(), "llama-tiny");
    }

    @Test
    void doraTrainsMagnitudeAndLowRankButNotTheBase() {
        Adapters adapters = Adapters.of(GOLDEN.lm());
        adapters.load(DIR.resolve("adapter-dora"), "default");
        adapters.training(true);
        int before = managed(GOLDEN.lm().manager());
        try (NDManager step = GOLDEN.lm().manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray ids = GOLDEN.cases().load("input_ids", step);
            gc.backward(CausalLmLoss.mean(GOLDEN.lm().decoder().forward(ids), ids));
        }
        assertEquals(before, managed(GOLDEN.lm().manager()), "no leaks");
        Map<String, NDArray> params = adapters.parameters("default");
        assertEquals(42, params.size());
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            try (NDArray g = e.getValue().getGradient()) {
                assertTrue(g.abs().sum().getFloat() > 0, e.getKey() + " has a gradient");
            }
        }
        PeftGradients.assertBaseFrozen(GOLDEN.lm());
    }

    @Test
    void dropoutOnlyWhileTraining() {
        Adapters adapters = Adapters.of(GOLDEN.lm());
        adapters.add("d", LoraConfig.builder().r(4).loraDropout(0.5).init(LoraInit.RANDOM).build(), 1);
        long[][] ids = {{3, 4, 5, 6, 7}};
        float[] eval1 = LoraTesting.logits(GOLDEN.lm(), ids);
        float[] eval2 = LoraTesting.logits(GOLDEN.lm(), ids);
        assertEquals(0, TestFiles.maxAbsDiff(eval1, eval2), "deterministic in eval mode");
        adapters.training(true);
        float[] train = LoraTesting.logits(GOLDEN.lm(), ids);
        assertNotEquals(0, TestFiles.maxAbsDiff(eval1, train), "dropout applied in training mode");
    }

    private static int managed(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }
}
