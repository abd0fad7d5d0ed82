package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.quant.QuantizedModels;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QLoRA: the trainer on a quantized base (golden llama-tiny loaded as nf4, int4 = nf4 with double
 * quantization, int8) computes finite gradients, the same whether or not a GC runs before each
 * backward pass (the dequantized weights autograd keeps must not live in freed Java buffers); and
 * with gradient checkpointing, where the recomputed layers cut those projections out of the graph
 * and dequantize again for their input gradient ({@code ProjectionCuts}), the gradients equal those
 * of the plain recorded pass, whose graph keeps every float weight.
 */
class QloraTrainingTest {

    @ParameterizedTest
    @ValueSource(strings = {"nf4", "int4", "int8"})
    void quantizedBaseGradientsAreFiniteAndGcSafe(String quantization) {
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (boolean gc : new boolean[] {false, true}) {
            try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto",
                    quantization)) {
                Adapters.of(lm).add("default", LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0).init("gaussian")
                        .targetModules("all-linear").build(), 42);
                Map<String, float[]> grads = new LinkedHashMap<>();
                List<Example> examples = List.of(Example.of(new long[] {5, 6, 7, 8, 9, 10, 11, 12}),
                        Example.of(new long[] {15, 16, 17, 18, 19, 20, 21, 22}));
                Backprop.beforeBackward = gc ? GoldenTrainingTest::collectAndRefill : null;
                try (Trainer t = Trainer.sft(LoraTraining.of(lm), examples, List.of(),
                        TrainerConfig.builder().batchSize(2).shuffle(false).build())) {
                    t.gradientObserver = g -> g.forEach((k, v) -> grads.put(k, v.toFloatArray()));
                    StepMetrics m = t.step();
                    assertTrue(!m.skipped() && m.gradNorm() > 0, m.toString());
                } finally {
                    Backprop.beforeBackward = null;
                }
                runs.add(grads);
            }
        }
        assertEquals(runs.get(0).keySet(), runs.get(1).keySet());
        for (String k : runs.get(0).keySet()) {
            assertEquals(0.0, GoldenTrainingTest.relativeError(runs.get(1).get(k), runs.get(0).get(k)), k);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"int4", "fp4", "int8", "float16", "int4+dora"})
    void checkpointedGradientsAcrossProjectionCutsEqualRecordedOnes(String variant) {
        String quantization = variant.replace("+dora", "");
        boolean dora = variant.endsWith("+dora");
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (boolean checkpointing : new boolean[] {false, true}) {
            try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto",
                    quantization)) {
                // dropout on: the recomputation must draw the same masks through the cut inputs
                Adapters.of(lm).add("default", LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0.1)
                        .init("gaussian").useDora(dora).targetModules("all-linear").build(), 42);
                Map<String, float[]> grads = new LinkedHashMap<>();
                List<Example> examples = List.of(Example.of(new long[] {5, 6, 7, 8, 9, 10, 11, 12}),
                        Example.of(new long[] {15, 16, 17, 18, 19, 20, 21, 22}));
                try (Trainer t = Trainer.sft(LoraTraining.of(lm), examples, List.of(),
                        TrainerConfig.builder().batchSize(2).shuffle(false).gradientCheckpointing(checkpointing).build())) {
                    t.gradientObserver = g -> g.forEach((k, v) -> grads.put(k, v.toFloatArray()));
                    StepMetrics m = t.step();
                    assertTrue(!m.skipped() && m.gradNorm() > 0, m.toString());
                }
                runs.add(grads);
            }
        }
        assertEquals(runs.get(0).keySet(), runs.get(1).keySet());
        assertEquals(2 * 7 * (dora ? 3 : 2), runs.get(0).size(), "lora_A, lora_B (and DoRA's magnitude) of 7 projections"
                + " in 2 layers");
        for (String k : runs.get(0).keySet()) {
            // the same products summed in another order: float32 rounding only
            double err = GoldenTrainingTest.relativeError(runs.get(1).get(k), runs.get(0).get(k));
            assertTrue(err < 1e-5, k + ": relative error " + err);
        }
    }

    /** DPO over a 4-bit base: the same cuts, the policy's chosen and rejected sequences in one pass. */
    @Test
    void dpoOnAFourBitBaseGivesTheSameGradientsWithAndWithoutCheckpointing(@TempDir Path tmp) {
        Path dir = TinyRuns.model(tmp.resolve("model"), 0.1);
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (boolean checkpointing : new boolean[] {false, true}) {
            try (CausalLm lm = QuantizedModels.load(dir, "cpu", "auto", "int4")) {
                Adapters.of(lm).add("default", LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0)
                        .init("gaussian").targetModules("all-linear").build(), 42);
                TokenizedData<PreferenceExample> data = Dataset.of("prefs.jsonl", DataFormat.auto(),
                        TinyRuns.alphabetPreferences(4, false, 5)).tokenizePreferences(lm.tokenizer(), TokenizeOptions.defaults());
                Map<String, float[]> grads = new LinkedHashMap<>();
                try (Trainer t = Trainer.dpo(LoraTraining.of(lm), data,
                        TrainerConfig.builder().batchSize(4).shuffle(false).gradientCheckpointing(checkpointing).build())) {
                    t.gradientObserver = g -> g.forEach((k, v) -> grads.put(k, v.toFloatArray()));
                    StepMetrics m = t.step();
                    assertTrue(!m.skipped() && m.gradNorm() > 0, m.toString());
                }
                runs.add(grads);
            }
        }
        assertEquals(runs.get(0).keySet(), runs.get(1).keySet());
        for (String k : runs.get(0).keySet()) {
            double err = GoldenTrainingTest.relativeError(runs.get(1).get(k), runs.get(0).get(k));
            assertTrue(err < 1e-5, k + ": relative error " + err);
        }
    }
}
