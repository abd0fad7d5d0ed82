package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.io.SafetensorsFile;
import io.jlora.lora.Adapters;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Training against PEFT + torch on the golden llama-tiny (golden/llama-tiny/cases.safetensors,
 * made by shared/golden/make_golden.py): with the golden LoRA adapter (r 8, alpha 16, dropout 0,
 * all-linear), the gradient of every LoRA parameter of the causal-LM loss on input_ids, the
 * parameters after one torch.optim.AdamW step, and TRL's sigmoid DPO loss.
 */
class GoldenTrainingTest {

    private static final Path DIR = TestFiles.golden("llama-tiny");
    private static CausalLm lm;
    private static SafetensorsFile cases;
    private static long[][] inputIds;

    @BeforeAll
    static void load() {
        lm = CausalLm.load(DIR.resolve("model"), "cpu", "auto");
        cases = SafetensorsFile.open(DIR.resolve("cases.safetensors"));
        try (NDManager m = NDManager.newBaseManager()) {
            long[] flat = cases.load("input_ids", m).toLongArray();
            inputIds = new long[][] {Arrays.copyOfRange(flat, 0, 16), Arrays.copyOfRange(flat, 16, 32)};
        }
    }

    @AfterAll
    static void close() {
        cases.close();
        lm.close();
    }

    @BeforeEach
    void attach() {
        Adapters.of(lm).load(DIR.resolve("adapter"), "default");
    }

    @AfterEach
    void unload() {
        Adapters.of(lm).unload();
    }

    /** lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping, constant rate, no warmup. */
    private static TrainerConfig goldenConfig(boolean checkpointing) {
        return TrainerConfig.builder().lr(1e-3).betas(0.9, 0.999).eps(1e-8).weightDecay(0).maxGradNorm(0)
                .scheduler("constant").warmupSteps(0).batchSize(2).shuffle(false).gradientCheckpointing(checkpointing)
                .build();
    }

    private static List<Example> goldenBatch() {
        // labels = input_ids, pads included, as make_golden.py's model(input_ids=ids, labels=ids)
        return List.of(Example.of(inputIds[0]), Example.of(inputIds[1]));
    }

    @ParameterizedTest(name = "gradient checkpointing {0}")
    @ValueSource(booleans = {true, false})
    void gradientsAndOneAdamWStepMatchTorch(boolean checkpointing) {
        LoraTraining model = LoraTraining.of(lm);
        Map<String, float[]> grads = new LinkedHashMap<>();
        try (Trainer trainer = Trainer.sft(model, goldenBatch(), List.of(), goldenConfig(checkpointing))) {
            TinyRuns.recordGradients(trainer, grads);
            StepMetrics m = trainer.step();
            assertEquals(goldenScalar("loss_adapter"), m.loss(), 1e-4, "training loss = PEFT's loss_adapter");
            assertFalse(m.skipped());
        }
        Map<String, NDArray> params = model.parameters();
        assertEquals(28, params.size(), "14 adapted modules x (A, B)");
        try (NDManager m = NDManager.newBaseManager()) {
            for (String key : params.keySet()) {
                float[] expectedGrad = cases.load("grad." + key, m).toFloatArray();
                double gradErr = relativeError(grads.get(key), expectedGrad);
                assertTrue(gradErr <= 1e-5, key + ": gradient off by " + gradErr + " of its largest entry");
                // After the step. Where |g| is near eps (1e-8), AdamW's first update g/(|g|+eps) turns
                // float rounding of g into changes of up to lr: those entries are checked to 1e-4, the
                // well-conditioned rest (|g| >= 1e-6) to 1e-5. AdamW itself is checked exactly below.
                float[] expectedStep = cases.load("step1." + key, m).toFloatArray();
                float[] actualStep = params.get(key).toFloatArray();
                assertTrue(relativeError(actualStep, expectedStep) <= 1e-4, key + ": after one AdamW step off by "
                        + relativeError(actualStep, expectedStep));
                float[] a = actualStep.clone();
                for (int i = 0; i < a.length; i++) {
                    if (Math.abs(expectedGrad[i]) < 1e-6) {
                        a[i] = expectedStep[i];
                    }
                }
                double stepErr = relativeError(a, expectedStep);
                assertTrue(stepErr <= 1e-5, key + ": after one AdamW step off by " + stepErr + " of its largest entry");
            }
        }
    }

    /**
     * A garbage collection between the forward and the backward pass changes no gradient. DJL's
     * {@code array.mul(2f)} wraps the number in an array over a Java direct buffer and closes it at
     * once, while autograd keeps it for the backward pass: after a GC frees the buffer, the backward
     * reads freed memory (see {@link Scalars}). Here every backward call follows a GC and a refill
     * of native memory with 1e30s.
     */
    @ParameterizedTest(name = "gradient checkpointing {0}")
    @ValueSource(booleans = {true, false})
    void gradientsSurviveAGarbageCollectionBeforeTheBackwardPass(boolean checkpointing) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        Backprop.beforeBackward = GoldenTrainingTest::collectAndRefill;
        try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), goldenBatch(), List.of(), goldenConfig(checkpointing))) {
            TinyRuns.recordGradients(trainer, grads);
            trainer.step();
        } finally {
            Backprop.beforeBackward = null;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            for (String key : grads.keySet()) {
                double err = relativeError(grads.get(key), cases.load("grad." + key, m).toFloatArray());
                assertTrue(err <= 1e-5, key + ": gradient off by " + err + " of its largest entry after a GC");
            }
        }
    }

    static void collectAndRefill() {
        System.gc();
        List<java.nio.ByteBuffer> junk = new java.util.ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4).order(java.nio.ByteOrder.nativeOrder());
            b.putFloat(0, 1e30f);
            junk.add(b);
        }
        junk.clear();
    }

    /** AdamW alone: torch's gradients in, torch's parameters after one step out, every entry. */
    @Test
    void adamWStepOnTorchGradientsMatchesTorch() {
        Map<String, NDArray> params = LoraTraining.of(lm).parameters();
        try (NDManager m = lm.manager().newSubManager(); AdamW adamw = new AdamW(m, 0.9, 0.999, 1e-8, 0)) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            params.keySet().forEach(k -> grads.put(k, cases.load("grad." + k, m)));
            adamw.step(params, grads, 1e-3);
            assertEquals(1, adamw.steps());
            for (String key : params.keySet()) {
                double err = relativeError(params.get(key).toFloatArray(), cases.load("step1." + key, m).toFloatArray());
                assertTrue(err <= 1e-5, key + ": AdamW step off by " + err + " of its largest entry");
            }
        }
    }

    /**
     * make_golden.py computes the DPO case after its AdamW step (same PeftModel): the policy is the
     * adapter holding step1.*, the reference the model with the adapter disabled.
     */
    @Test
    void dpoSigmoidLossMatchesTrl() {
        try (NDManager m = lm.manager().newSubManager()) {
            LoraTraining model = LoraTraining.of(lm);
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                Autograd.assign(e.getValue(), cases.load("step1." + e.getKey(), m), m);
            }
            long[] chosen = cases.load("dpo_chosen", m).toLongArray();
            long[] rejected = cases.load("dpo_rejected", m).toLongArray();
            PreferenceExample pair = PreferenceExample.of(Arrays.copyOf(chosen, 6), Arrays.copyOfRange(chosen, 6, 16),
                    Arrays.copyOfRange(rejected, 6, 16));
            double expected = goldenScalar("dpo_loss_beta0.1");
            TrainerConfig config = goldenConfig(true).toBuilder().dpoBeta(0.1).build();
            try (Trainer trainer = Trainer.dpo(model, List.of(pair), List.of(pair), config)) {
                EvalMetrics eval = trainer.evaluate();
                assertEquals(expected, eval.loss(), 1e-4, "evaluated DPO loss");
                StepMetrics step = trainer.step();
                assertEquals(expected, step.loss(), 1e-4, "DPO loss of the training step (before its update)");
                assertTrue(step.gradNorm() > 0 && Double.isFinite(step.gradNorm()));
                assertEquals(1.0, step.extra().get("rewards/accuracies"), "chosen is preferred after the SFT step");
                double after = trainer.evaluate().loss();
                assertTrue(after < expected, "one DPO step lowers the DPO loss: " + expected + " -> " + after);
            }
        }
    }

    private static double goldenScalar(String key) {
        try (NDManager m = NDManager.newBaseManager()) {
            return cases.load(key, m).toFloatArray()[0];
        }
    }

    /** max |actual - expected| / max |expected|. */
    static double relativeError(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs((double) actual[i] - expected[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }
}
