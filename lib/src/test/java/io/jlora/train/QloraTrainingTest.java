package io.jlora.train;

import io.jlora.model.autograd.ProjectionCuts;
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
import io.jlora.model.autograd.QuantizedOutputs;
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
 * of the plain recorded pass, whose graph keeps every float weight; likewise when the first pass
 * keeps the quantized projections' outputs for the recomputation ({@code keepQuantizedOutputs}).
 */
class QloraTrainingTest {

    private static final List<Example> EXAMPLES = List.of(Example.of(new long[] {5, 6, 7, 8, 9, 10, 11, 12}),
            Example.of(new long[] {15, 16, 17, 18, 19, 20, 21, 22}));

    /** The gradients of one step of {@code trainer} by array name; the step must not be skipped. */
    private static Map<String, float[]> stepGradients(Trainer trainer) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        TinyRuns.recordGradients(trainer, grads);
        StepMetrics m = trainer.step();
        assertTrue(!m.skipped() && m.gradNorm() > 0, m.toString());
        return grads;
    }

    /**
     * Both runs name the same arrays, and each array of the second is within {@code tolerance} of
     * the first relative to its largest entry (0: equal).
     */
    private static void assertSameGradients(List<Map<String, float[]>> runs, double tolerance) {
        assertEquals(runs.get(0).keySet(), runs.get(1).keySet());
        for (String k : runs.get(0).keySet()) {
            double err = GoldenTrainingTest.relativeError(runs.get(1).get(k), runs.get(0).get(k));
            assertTrue(tolerance == 0 ? err == 0 : err < tolerance, k + ": relative error " + err);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nf4", "int4", "int8"})
    void quantizedBaseGradientsAreFiniteAndGcSafe(String quantization) {
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (boolean gc : new boolean[] {false, true}) {
            try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto",
                    quantization)) {
                Adapters.of(lm).add("default", LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0).init("gaussian")
                        .targetModules("all-linear").build(), 42);
                Map<String, float[]> grads;
                Backprop.beforeBackward = gc ? GoldenTrainingTest::collectAndRefill : null;
                try (Trainer t = Trainer.sft(LoraTraining.of(lm), EXAMPLES, List.of(),
                        TrainerConfig.builder().batchSize(2).shuffle(false).build())) {
                    grads = stepGradients(t);
                } finally {
                    Backprop.beforeBackward = null;
                }
                runs.add(grads);
            }
        }
        assertSameGradients(runs, 0.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"int4", "fp4", "int8", "float16", "int4+dora", "int4+dora-no-dropout", "int4+all", "int8+all",
            "int4+dora+all", "int4+attention", "int8+attention", "int4+dora+attention", "int4+none", "int8+none", "int4+dora+none"})
    void checkpointedGradientsAcrossProjectionCutsEqualRecordedOnes(String variant) {
        String quantization = variant.replaceAll("\\+.*", "");
        boolean dora = variant.contains("+dora");
        // keepQuantizedOutputs: the recomputation takes those quantized projections' outputs from the first
        // pass (by default as many as fit in a budget: on this tiny model all)
        QuantizedOutputs keep = variant.endsWith("+all") ? QuantizedOutputs.ALL
                : variant.endsWith("+attention") ? QuantizedOutputs.ATTENTION
                : variant.endsWith("+none") ? QuantizedOutputs.NONE : TrainerConfig.defaults().keepQuantizedOutputs();
        // without dropout DoRA reads the base output itself, which a recomputation must then compute
        double dropout = variant.endsWith("-no-dropout") ? 0 : 0.1;
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (boolean checkpointing : new boolean[] {false, true}) {
            try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto",
                    quantization)) {
                // dropout on: the recomputation must draw the same masks through the cut inputs
                Adapters.of(lm).add("default", LoraConfig.builder().r(8).loraAlpha(16).loraDropout(dropout)
                        .init("gaussian").useDora(dora).targetModules("all-linear").build(), 42);
                Map<String, float[]> grads;
                try (Trainer t = Trainer.sft(LoraTraining.of(lm), EXAMPLES, List.of(),
                        TrainerConfig.builder().batchSize(2).shuffle(false).gradientCheckpointing(checkpointing)
                                .keepQuantizedOutputs(keep).build())) {
                    grads = stepGradients(t);
                }
                runs.add(grads);
            }
        }
        assertEquals(2 * 7 * (dora ? 3 : 2), runs.get(0).size(), "lora_A, lora_B (and DoRA's magnitude) of 7 projections"
                + " in 2 layers");
        // the same products summed in another order: float32 rounding only
        assertSameGradients(runs, 1e-5);
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
                Map<String, float[]> grads;
                try (Trainer t = Trainer.dpo(LoraTraining.of(lm), data,
                        TrainerConfig.builder().batchSize(4).shuffle(false).gradientCheckpointing(checkpointing).build())) {
                    grads = stepGradients(t);
                }
                runs.add(grads);
            }
        }
        assertSameGradients(runs, 1e-5);
    }
}
