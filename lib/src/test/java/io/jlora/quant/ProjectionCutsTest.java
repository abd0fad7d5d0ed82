package io.jlora.quant;

import io.jlora.model.autograd.ProjectionCuts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.jlora.data.Example;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.model.autograd.GradRecording;
import io.jlora.model.Linear;
import io.jlora.testing.TestFiles;
import io.jlora.train.LoraTraining;
import io.jlora.train.StepMetrics;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A QLoRA training step never hands autograd a dequantized weight, with or without gradient
 * checkpointing: the 4-bit projections are cut out of the graph (io.jlora.model.autograd.ProjectionCuts) and
 * dequantize again for their input gradient, as bitsandbytes does. A recorded forward outside a
 * training step does hand one over, which shows that the count can fail. The gradients with and
 * without checkpointing are compared in QloraTrainingTest.
 */
class ProjectionCutsTest {

    @Test
    void trainingStepsMakeNoDequantizedWeightForAGraph() {
        assertEquals(0, floatWeightsGivenToAGraph(true));
        assertEquals(0, floatWeightsGivenToAGraph(false));
    }

    @Test
    void aRecordedForwardOutsideTrainingDoes() {
        try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto", "int4");
                NDManager m = lm.manager().newSubManager();
                GradRecording.Scope on = GradRecording.set(true)) {
            Linear q = lm.decoder().linear("model.layers.0.self_attn.q_proj");
            NDArray x = m.randomNormal(new Shape(1, 3, q.inFeatures()));
            x.setRequiresGradient(true);
            long before = QuantizedLinear.MADE_FOR_A_GRAPH.sum();
            q.forward(x);
            assertEquals(1, QuantizedLinear.MADE_FOR_A_GRAPH.sum() - before);
        }
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
