package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.io.SafetensorsFile;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Full fine-tuning ({@link FullTraining}): one step on the golden llama-tiny against PyTorch
 * (full_step_reference.py beside this class's resources, run with Debian's python3-torch, which
 * bin/install-deps installs), DPO against the precomputed initial-weight reference, and the models
 * it refuses.
 */
class FullFineTuningTest {

    private static final Path GOLDEN = TestFiles.golden("llama-tiny");
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path tmp;

    /** Runs the torch reference; skips (saying how to install it) where Debian's torch is missing. */
    private Path torchReference() throws IOException, InterruptedException {
        Process probe = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
        boolean torch = probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0;
        Assumptions.assumeTrue(torch, "needs Debian's torch: apt-get install -y python3-torch libopenblas0-pthread");
        Path out = tmp.resolve("reference.safetensors");
        Process p = new ProcessBuilder(PYTHON, TestFiles.resource("io/jlora/train/full_step_reference.py").toString(),
                GOLDEN.resolve("model").toString(), GOLDEN.resolve("cases.safetensors").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "reference timed out");
        assertEquals(0, p.exitValue(), log);
        return out;
    }

    @ParameterizedTest(name = "gradient checkpointing {0}")
    @ValueSource(booleans = {true, false})
    void oneStepOnEveryParameterMatchesTorchAdamW(boolean checkpointing) throws Exception {
        Path reference = torchReference();
        long[][] ids;
        try (SafetensorsFile cases = SafetensorsFile.open(GOLDEN.resolve("cases.safetensors"));
                NDManager m = NDManager.newBaseManager()) {
            long[] flat = cases.load("input_ids", m).toLongArray();
            ids = new long[][] {Arrays.copyOfRange(flat, 0, 16), Arrays.copyOfRange(flat, 16, 32)};
        }
        TrainerConfig config = TrainerConfig.builder().lr(1e-3).betas(0.9, 0.999).eps(1e-8).weightDecay(0).maxGradNorm(0)
                .scheduler("constant").warmupSteps(0).batchSize(2).shuffle(false).gradientCheckpointing(checkpointing).build();
        try (CausalLm lm = CausalLm.load(GOLDEN.resolve("model"), "cpu", "float32");
                SafetensorsFile expected = SafetensorsFile.open(reference);
                NDManager m = NDManager.newBaseManager()) {
            FullTraining model = FullTraining.of(lm);
            assertEquals(21, model.parameters().size(), "embedding, 2 x (2 norms + 7 projections), norm, lm_head");
            assertEquals(133_440, model.parameterCount());
            Map<String, float[]> grads = new LinkedHashMap<>();
            try (Trainer trainer = Trainer.sft(model, List.of(Example.of(ids[0]), Example.of(ids[1])), List.of(), config)) {
                TinyRuns.recordGradients(trainer, grads);
                StepMetrics step = trainer.step();
                assertFalse(step.skipped());
                assertEquals(expected.load("loss", m).getFloat(), step.loss(), 1e-5);
            }
            double worstGrad = 0;
            for (String key : model.parameters().keySet()) {
                float[] g = expected.load("grad." + key, m).toFloatArray();
                worstGrad = Math.max(worstGrad, GoldenTrainingTest.relativeError(grads.get(key), g));
                float[] after = model.parameters().get(key).toFloatArray();
                float[] want = expected.load("step1." + key, m).toFloatArray();
                double diff = TestFiles.maxAbsDiff(after, want);
                assertTrue(diff <= 1e-5, key + " after one AdamW step off by " + diff);
            }
            assertTrue(worstGrad <= 1e-5, "gradients off by " + worstGrad + " of their largest entry");
        }
    }

    @Test
    void everyWeightMovesInOneStep() {
        try (CausalLm lm = CausalLm.load(GOLDEN.resolve("model"), "cpu", "float32")) {
            FullTraining model = FullTraining.of(lm);
            Map<String, float[]> before = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
            try (Trainer trainer = Trainer.sft(model, TinyRuns.tokenized(lm, TinyRuns.alphabet(8, 20, 3), 0).train(),
                    List.of(), TrainerConfig.builder().lr(1e-3).warmupSteps(0).batchSize(8).build())) {
                trainer.step();
            }
            model.parameters().forEach((k, v) -> assertTrue(TestFiles.maxAbsDiff(before.get(k), v.toFloatArray()) > 1e-4,
                    k + " did not train"));
        }
    }

    /** Without a reference mode, DPO's reference is the model the trainer started from, computed once. */
    @Test
    void dpoPrecomputesTheReferenceFromTheInitialWeights() {
        List<ObjectNode> rows = TinyRuns.alphabetPreferences(8, false, 5);
        Path dir = TinyRuns.model(tmp.resolve("model"), 0.1);
        try (CausalLm lm = CausalLm.load(dir, "cpu", "float32")) {
            TokenizedData<PreferenceExample> data = Dataset.of("prefs.jsonl", DataFormat.auto(), rows)
                    .tokenizePreferences(lm.tokenizer(), TokenizeOptions.defaults().withEvalSplit(0.25));
            TrainerConfig config = TrainerConfig.builder().lr(1e-3).batchSize(3).steps(12).build();
            try (Trainer trainer = Trainer.dpo(FullTraining.of(lm), data, config)) {
                assertEquals(Math.log(2), trainer.evaluate().loss(), 1e-6, "policy = reference before training");
                TrainingSummary s = trainer.train();
                assertEquals(Math.log(2), s.firstLoss(), 1e-6);
                // a reference recomputed from the current weights would keep every loss at log 2
                assertTrue(s.lastLoss() < 0.5 && s.evalLoss() < Math.log(2), s.toJson().toString());
            }
        }
    }

    @Test
    void refusesAdaptedQuantizedAndHalfPrecisionModels() {
        Path dir = GOLDEN.resolve("model");
        try (CausalLm half = CausalLm.load(dir, "cpu", "float16")) {
            JloraException e = assertThrows(JloraException.class, () -> FullTraining.of(half));
            assertTrue(e.getMessage().contains("--dtype float32"), e.getMessage());
        }
        try (CausalLm quantized = io.jlora.quant.QuantizedModels.load(dir, "cpu", "float32", "nf4")) {
            JloraException e = assertThrows(JloraException.class, () -> FullTraining.of(quantized));
            assertTrue(e.getMessage().contains("without --quantization"), e.getMessage());
        }
        try (CausalLm adapted = CausalLm.load(dir, "cpu", "float32")) {
            Adapters.of(adapted).add("default", LoraConfig.builder().r(4).targetModules("all-linear").build(), 1);
            JloraException e = assertThrows(JloraException.class, () -> FullTraining.of(adapted));
            assertTrue(e.getMessage().contains("unload the adapters"), e.getMessage());
        }
    }
}
