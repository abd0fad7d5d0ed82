package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.jlora.data.Example;
import io.jlora.io.SafetensorsFile;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.model.CausalLmLoss;
import io.jlora.quant.QuantizedModels;
import io.jlora.testing.PeftGradients;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA, QLoRA and full fine-tuning on the families of issue 17 (Gemma 2, Gemma 3, Phi-3, OLMo 2,
 * SmolLM3), on the tiny transformers models of src/test/resources/reference (make_families.py):
 * PEFT's gradients and adapter keys (Phi-3's fused qkv_proj and gate_up_proj targeted whole, as
 * PEFT does), merging, a 4-bit base through the gradient-checkpointed trainer, and a full step.
 */
class FamiliesTrainingTest {

    private static final List<Example> EXAMPLES = List.of(
            Example.of(new long[] {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22}),
            Example.of(new long[] {30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47}));

    private static Path model(String name) {
        return TestFiles.reference(name).resolve("model");
    }

    /** PEFT's adapter (r=4, all-linear, random A and B): the same loss, logits and gradients. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "phi3-tiny", "olmo2-tiny", "smollm3-tiny"})
    void loraGradientsMatchPeft(String name) {
        Path dir = TestFiles.reference(name);
        try (CausalLm lm = CausalLm.load(model(name), "cpu", "auto");
                SafetensorsFile cases = SafetensorsFile.open(dir.resolve("cases.safetensors"))) {
            Adapters adapters = Adapters.of(lm);
            adapters.load(dir.resolve("adapter"), "default");
            adapters.training(true);
            Map<String, NDArray> params = adapters.parameters("default");
            long expectedCount = cases.keys().stream().filter(k -> k.startsWith("grad.")).count();
            assertEquals(expectedCount, params.size(), "one parameter per PEFT parameter");
            try (NDManager step = lm.manager().newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray ids = cases.load("input_ids", step);
                NDArray logits = lm.decoder().forward(ids);
                double diff = TestFiles.maxAbsDiff(logits, cases.load("logits_adapter", step));
                assertTrue(diff < 1e-4, name + ": adapted logits off by " + diff);
                NDArray loss = CausalLmLoss.mean(logits, ids);
                gc.backward(loss);
                assertEquals(cases.load("loss_adapter", step).getFloat(0), loss.getFloat(), 1e-4, name + " loss");
            }
            PeftGradients.assertOnlyAdaptersGetPeftsGradients(lm, params, cases, name);
        }
    }

    /** An adapter made here on all-linear saves exactly PEFT's tensor names and shapes. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "phi3-tiny", "olmo2-tiny", "smollm3-tiny"})
    void savedAdapterKeysAreThoseOfPeft(String name, @TempDir Path tmp) {
        try (CausalLm lm = CausalLm.load(model(name), "cpu", "auto")) {
            Adapters.of(lm).add("a", LoraConfig.builder().r(4).loraAlpha(8).targetModules("all-linear").build(), 1);
            Adapters.of(lm).save("a", tmp.resolve("a"));
        }
        try (SafetensorsFile ours = SafetensorsFile.open(tmp.resolve("a/adapter_model.safetensors"));
                SafetensorsFile peft = SafetensorsFile.open(TestFiles.reference(name).resolve("adapter/adapter_model.safetensors"))) {
            assertEquals(new TreeSet<>(peft.keys()), new TreeSet<>(ours.keys()), name);
            for (String k : peft.keys()) {
                assertEquals(java.util.Arrays.toString(peft.info(k).shape()), java.util.Arrays.toString(ours.info(k).shape()), k);
            }
        }
    }

    /** Merging PEFT's adapter into the weights gives the adapted logits; the merged folder reloads to them. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "phi3-tiny", "olmo2-tiny", "smollm3-tiny"})
    void mergedAdapterGivesTheAdaptedLogits(String name, @TempDir Path tmp) {
        Path dir = TestFiles.reference(name);
        try (CausalLm lm = CausalLm.load(model(name), "cpu", "auto");
                SafetensorsFile cases = SafetensorsFile.open(dir.resolve("cases.safetensors"))) {
            Adapters.of(lm).load(dir.resolve("adapter"), "default");
            Adapters.of(lm).mergeAndUnload();
            try (NDManager m = lm.manager().newSubManager()) {
                double diff = TestFiles.maxAbsDiff(lm.decoder().forward(cases.load("input_ids", m)),
                        cases.load("logits_adapter", m));
                assertTrue(diff < 1e-4, name + ": merged logits off by " + diff);
            }
            Adapters.of(lm).saveMerged(tmp.resolve("merged"), false);
            try (CausalLm merged = CausalLm.load(tmp.resolve("merged"), "cpu", "auto");
                    NDManager m = merged.manager().newSubManager()) {
                double diff = TestFiles.maxAbsDiff(merged.decoder().forward(cases.load("input_ids", m)),
                        cases.load("logits_adapter", m));
                assertTrue(diff < 1e-4, name + ": reloaded merged logits off by " + diff);
            }
        }
    }

    /**
     * QLoRA: on an nf4 base the checkpointed trainer (layers recomputed, projections cut out of the
     * graph) gives the gradients of the plain recorded pass, finite and non-zero, for every family's
     * layer layout (post norms, fused projections, NoPE and sliding layers).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "phi3-tiny", "olmo2-tiny", "smollm3-tiny"})
    void qloraStepOnEveryFamily(String name) {
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (boolean checkpointing : new boolean[] {false, true}) {
            try (CausalLm lm = QuantizedModels.load(model(name), "cpu", "auto", "nf4")) {
                Adapters.of(lm).add("default", LoraConfig.builder().r(4).loraAlpha(8).loraDropout(0).init("gaussian")
                        .targetModules("all-linear").build(), 42);
                try (Trainer t = Trainer.sft(LoraTraining.of(lm), EXAMPLES, List.of(),
                        TrainerConfig.builder().batchSize(2).shuffle(false).gradientCheckpointing(checkpointing).build())) {
                    runs.add(stepGradients(t));
                }
            }
        }
        assertEquals(runs.get(0).keySet(), runs.get(1).keySet());
        for (String k : runs.get(0).keySet()) {
            double err = GoldenTrainingTest.relativeError(runs.get(1).get(k), runs.get(0).get(k));
            assertTrue(err < 1e-5, name + " " + k + ": relative error " + err);
        }
    }

    /** Full fine-tuning: one step gives every weight (the families' extra norms included) a gradient. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "phi3-tiny", "olmo2-tiny", "smollm3-tiny"})
    void fullFineTuningStepOnEveryFamily(String name) {
        try (CausalLm lm = CausalLm.load(model(name), "cpu", "float32");
                Trainer t = Trainer.sft(FullTraining.of(lm), EXAMPLES, List.of(),
                        TrainerConfig.builder().batchSize(2).shuffle(false).build())) {
            Map<String, float[]> grads = stepGradients(t);
            assertEquals(lm.decoder().parameters().keySet(), grads.keySet(), name);
            for (Map.Entry<String, float[]> e : grads.entrySet()) {
                double sum = 0;
                for (float g : e.getValue()) {
                    assertTrue(Float.isFinite(g), e.getKey());
                    sum += Math.abs(g);
                }
                assertTrue(sum > 0, name + " " + e.getKey() + " has no gradient");
            }
        }
    }

    private static Map<String, float[]> stepGradients(Trainer trainer) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        trainer.addListener(new TrainingListener() {
            @Override
            public void onGradients(long step, Map<String, ai.djl.ndarray.NDArray> gradients) {
                gradients.forEach((k, v) -> grads.put(k, v.toFloatArray()));
            }
        });
        StepMetrics m = trainer.step();
        assertTrue(!m.skipped() && m.gradNorm() > 0 && Double.isFinite(m.loss()), m.toString());
        return grads;
    }
}
