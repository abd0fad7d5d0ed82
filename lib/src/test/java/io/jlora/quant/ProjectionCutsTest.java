package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.data.Example;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import io.jlora.train.LoraTraining;
import io.jlora.train.StepMetrics;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A checkpointed QLoRA step never hands autograd a dequantized weight: the recomputed layers cut
 * the 4-bit projections out of the graph (io.jlora.model.ProjectionCuts) and dequantize again for
 * their input gradient, as bitsandbytes does. Without checkpointing the plain recorded pass still
 * does (one weight per projection), which shows that the count can fail. The gradients of the two
 * are compared in QloraTrainingTest.
 */
class ProjectionCutsTest {

    @Test
    void checkpointedStepMakesNoDequantizedWeightForAGraph() {
        assertEquals(0, floatWeightsGivenToAGraph(true));
        assertEquals(2 * 7, floatWeightsGivenToAGraph(false), "7 projections in each of the 2 layers");
    }

    private static long floatWeightsGivenToAGraph(boolean checkpointing) {
        try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto", "int4")) {
            Adapters.of(lm).add("default", LoraConfig.builder().r(8).loraAlpha(16).targetModules("all-linear").build(), 42);
            List<Example> examples = List.of(Example.of(new long[] {5, 6, 7, 8, 9, 10, 11, 12}));
            try (Trainer t = Trainer.sft(LoraTraining.of(lm), examples, List.of(),
                    TrainerConfig.builder().batchSize(1).shuffle(false).gradientCheckpointing(checkpointing).build())) {
                long before = QuantizedLinear.MADE_FOR_A_GRAPH.sum();
                StepMetrics m = t.step();
                assertTrue(!m.skipped() && m.gradNorm() > 0, m.toString());
                return QuantizedLinear.MADE_FOR_A_GRAPH.sum() - before;
            }
        }
    }
}
