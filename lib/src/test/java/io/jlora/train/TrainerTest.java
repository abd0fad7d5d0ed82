package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.model.CausalLm;
import io.jlora.train.TrainingSummary.StopReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer on a small random Llama with a LoRA adapter (r 8, dropout 0.05) and a generated
 * dataset: the loss halves in 100 steps and the eval loss falls; a run stopped at step 40 and
 * resumed from its checkpoint in a fresh model ends where the uninterrupted run ends; gradient
 * checkpointing and gradient accumulation change no gradient; the NaN guard, cancel, interrupt,
 * metrics, listeners; DPO against the adapter-disabled reference.
 */
class TrainerTest {

    @TempDir
    static Path tmp;
    private static Path modelDir;

    @BeforeAll
    static void model() {
        modelDir = TinyRuns.model(tmp.resolve("model"), 0.1);
    }

    private static TrainerConfig.Builder base() {
        return TrainerConfig.builder().lr(2e-3).batchSize(8);
    }

    private static Map<String, float[]> snapshot(TrainableModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    private static double worstRelative(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (String k : a.keySet()) {
            worst = Math.max(worst, GoldenTrainingTest.relativeError(a.get(k), b.get(k)));
        }
        return worst;
    }

    @Test
    void fineTuningHalvesTheLossAndAResumedRunEndsWhereTheUninterruptedOneDoes() throws Exception {
        TrainerConfig config = base().steps(100).evalEvery(50).saveEvery(40).build();
        Map<String, float[]> uninterrupted;
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0.05)) {
            TokenizedData<Example> data = TinyRuns.tokenized(lm, TinyRuns.alphabet(64, 24, 1), 0.25);
            LoraTraining model = LoraTraining.of(lm);
            try (Trainer trainer = Trainer.sft(model, data, config.toBuilder().outputDir(tmp.resolve("a")).build())) {
                List<StepMetrics> steps = new ArrayList<>();
                List<EvalMetrics> evals = new ArrayList<>();
                List<TrainingSummary> ends = new ArrayList<>();
                trainer.addListener(new TrainingListener() {
                    @Override
                    public void onStep(StepMetrics m) {
                        steps.add(m);
                    }

                    @Override
                    public void onEval(EvalMetrics m) {
                        evals.add(m);
                    }

                    @Override
                    public void onEnd(TrainingSummary s) {
                        ends.add(s);
                    }
                });
                double evalBefore = trainer.evaluate().loss();
                TrainingSummary s = trainer.train();
                assertEquals(100, s.steps());
                assertEquals(StopReason.COMPLETED, s.stopReason());
                double lastTen = steps.subList(90, 100).stream().mapToDouble(StepMetrics::loss).average().orElseThrow();
                assertTrue(lastTen <= 0.5 * s.firstLoss(), "training loss " + s.firstLoss() + " -> " + lastTen);
                assertNotNull(s.evalLoss());
                assertTrue(s.evalLoss() < 0.7 * evalBefore, "eval loss " + evalBefore + " -> " + s.evalLoss());
                assertEquals(100, steps.size());
                assertEquals(List.of(0L, 50L, 100L), evals.stream().map(EvalMetrics::step).toList(), "eval every 50, no extra at the end");
                assertEquals(1, ends.size());
                assertTrue(s.tokensPerSecond() > 0 && s.peakRssMb() > 0);
                ObjectNode json = s.toJson();
                for (String key : List.of("steps", "first_loss", "last_loss", "eval_loss", "tokens_per_s", "peak_rss_mb", "output")) {
                    assertTrue(json.has(key), key);
                }
                Path c40 = tmp.resolve("a/checkpoint-40");
                for (String f : List.of("trainable.safetensors", "optimizer.safetensors", "trainer_state.json",
                        "adapter_config.json", "adapter_model.safetensors")) {
                    assertTrue(Files.exists(c40.resolve(f)), f);
                }
                assertTrue(Files.exists(tmp.resolve("a/checkpoint-80")));
                try (var files = Files.list(tmp.resolve("a"))) {
                    assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary folders left");
                }
            }
            uninterrupted = snapshot(model);
        }
        // a run stopped after step 40 (cancelled), its process gone
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0.05)) {
            TokenizedData<Example> data = TinyRuns.tokenized(lm, TinyRuns.alphabet(64, 24, 1), 0.25);
            try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), data, config.toBuilder().outputDir(tmp.resolve("b")).build())) {
                trainer.addListener(new TrainingListener() {
                    @Override
                    public void onStep(StepMetrics m) {
                        if (m.step() == 40) {
                            trainer.cancel();
                        }
                    }
                });
                TrainingSummary s = trainer.train();
                assertEquals(StopReason.CANCELLED, s.stopReason());
                assertEquals(40, s.steps());
            }
        }
        // resumed in a fresh model and trainer
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0.05)) {
            TokenizedData<Example> data = TinyRuns.tokenized(lm, TinyRuns.alphabet(64, 24, 1), 0.25);
            LoraTraining model = LoraTraining.of(lm);
            try (Trainer trainer = Trainer.sft(model, data, config.toBuilder().outputDir(tmp.resolve("c")).build())) {
                trainer.resume(tmp.resolve("b/checkpoint-40"));
                assertEquals(40, trainer.currentStep());
                TrainingSummary s = trainer.train();
                assertEquals(60, s.steps());
                assertEquals(100, trainer.currentStep());
            }
            double diff = worstRelative(uninterrupted, snapshot(model));
            assertTrue(diff <= 1e-5, "resumed run differs from the uninterrupted one by " + diff);
        }
    }

    /** One step's gradients (before clipping) for a config, from a fresh model. */
    private static Map<String, float[]> gradients(TrainerConfig config, List<Example> examples, double dropout) {
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, dropout)) {
            Map<String, float[]> grads = new LinkedHashMap<>();
            try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), examples, List.of(), config)) {
                TinyRuns.recordGradients(trainer, grads);
                trainer.step();
            }
            return grads;
        }
    }

    /** Sequences of different lengths, so that batches are padded. */
    private static List<Example> ragged() {
        List<Example> out = new ArrayList<>();
        Random r = new Random(3);
        for (int i = 0; i < 4; i++) {
            long[] ids = new long[6 + 5 * i];
            for (int t = 0; t < ids.length; t++) {
                ids[t] = 97 + r.nextInt(26);
            }
            long[] labels = ids.clone();
            labels[0] = Example.IGNORE;
            labels[1] = Example.IGNORE;
            out.add(new Example(ids, labels, i + 1));
        }
        return out;
    }

    @Test
    void gradientCheckpointingChangesNoGradientEvenWithDropout() {
        TrainerConfig on = base().batchSize(2).gradientAccumulation(2).shuffle(false).gradientCheckpointing(true).build();
        TrainerConfig off = on.toBuilder().gradientCheckpointing(false).build();
        Map<String, float[]> a = gradients(on, ragged(), 0.1);
        Map<String, float[]> b = gradients(off, ragged(), 0.1);
        double diff = worstRelative(a, b);
        assertTrue(diff <= 1e-5, "checkpointing on vs off: " + diff);
        // the dropout masks matter: another seed gives other gradients
        Map<String, float[]> c = gradients(on.toBuilder().seed(7).build(), ragged(), 0.1);
        assertTrue(worstRelative(a, c) > 1e-3, "dropout is active");
    }

    /** Full fine-tuning: every weight trainable, the embedding too (its gradient goes through the recomputation). */
    @Test
    void fullFineTuningGradientsAgreeWithAndWithoutCheckpointing() {
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (boolean checkpointing : new boolean[] {true, false}) {
            try (CausalLm lm = CausalLm.load(modelDir, "cpu", "auto")) {
                TrainableModel full = TrainableModel.of(lm.decoder(), lm.decoder().parameters());
                Map<String, float[]> grads = new LinkedHashMap<>();
                TrainerConfig c = base().batchSize(2).gradientAccumulation(2).shuffle(false).gradientCheckpointing(checkpointing).build();
                try (Trainer trainer = Trainer.sft(full, ragged(), List.of(), c)) {
                    TinyRuns.recordGradients(trainer, grads);
                    trainer.step();
                }
                runs.add(grads);
            }
        }
        assertTrue(runs.get(0).containsKey("model.embed_tokens.weight"));
        double embedScale = 0;
        for (float v : runs.get(0).get("model.embed_tokens.weight")) {
            embedScale = Math.max(embedScale, Math.abs(v));
        }
        assertTrue(embedScale > 0, "the embedding gets a gradient");
        double diff = worstRelative(runs.get(0), runs.get(1));
        assertTrue(diff <= 1e-5, "full fine-tuning, checkpointing on vs off: " + diff);
    }

    @Test
    void gradientAccumulationEqualsOneBigBatch() {
        TrainerConfig big = base().batchSize(4).gradientAccumulation(1).shuffle(false).build();
        TrainerConfig accumulated = big.toBuilder().batchSize(2).gradientAccumulation(2).build();
        double diff = worstRelative(gradients(big, ragged(), 0), gradients(accumulated, ragged(), 0));
        assertTrue(diff <= 1e-5, "4x1 vs 2x2: " + diff);
    }

    @Test
    void nonFiniteStepsAreNotAppliedAndCanStopTraining() {
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0); NDManager m = lm.manager().newSubManager()) {
            LoraTraining model = LoraTraining.of(lm);
            NDArray norm = lm.decoder().parameters().get("model.norm.weight");
            float[] saved = norm.toFloatArray();
            float[] poisoned = saved.clone();
            poisoned[0] = Float.NaN;
            List<Example> examples = ragged();
            try (Trainer skip = Trainer.sft(model, examples, List.of(), base().batchSize(2).scheduler("constant").warmupSteps(0).build())) {
                Map<String, float[]> before = snapshot(model);
                Autograd.assign(norm, m.create(poisoned), m);
                TrainingSummary s = skip.train(3);
                assertEquals(3, s.steps());
                assertTrue(skip.history().stream().allMatch(StepMetrics::skipped));
                assertTrue(skip.history().get(0).note().contains("loss is NaN"), skip.history().get(0).note());
                assertEquals(0.0, worstRelative(before, snapshot(model)), "the adapter keeps its last finite values");
                Autograd.assign(norm, m.create(saved), m);
                StepMetrics healthy = skip.step();
                assertFalse(healthy.skipped());
                assertTrue(worstRelative(before, snapshot(model)) > 0, "training goes on once the loss is finite");
            }
            try (Trainer stop = Trainer.sft(model, examples, List.of(), base().batchSize(2).nonFinite(NonFinitePolicy.STOP).build())) {
                Autograd.assign(norm, m.create(poisoned), m);
                TrainingSummary s = stop.train(5);
                assertEquals(StopReason.NOT_FINITE, s.stopReason());
                assertEquals(1, s.steps());
                Autograd.assign(norm, m.create(saved), m);
            }
        }
    }

    @Test
    void interruptStopsAfterTheCurrentStepAndLeavesTheFlagSet() {
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0);
                Trainer trainer = Trainer.sft(LoraTraining.of(lm), ragged(), List.of(), base().batchSize(2).build())) {
            AtomicInteger ends = new AtomicInteger();
            trainer.addListener(new TrainingListener() {
                @Override
                public void onStep(StepMetrics m) {
                    if (m.step() == 2) {
                        Thread.currentThread().interrupt(); // what a kernel interrupt does to the cell's thread
                    }
                }

                @Override
                public void onEnd(TrainingSummary s) {
                    ends.incrementAndGet();
                }
            });
            TrainingSummary s = trainer.train(10);
            assertTrue(Thread.interrupted(), "the interrupt is left for the caller");
            assertEquals(StopReason.INTERRUPTED, s.stopReason());
            assertEquals(2, s.steps());
            assertEquals(1, ends.get());
            assertEquals(2, trainer.currentStep());
        }
    }

    @Test
    void metricsFollowTheScheduleAndReportMemory() {
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0);
                Trainer trainer = Trainer.sft(LoraTraining.of(lm), ragged(), List.of(),
                        base().batchSize(2).steps(10).warmupRatio(0.1).scheduler("cosine").build())) {
            trainer.train();
            LrSchedule schedule = new LrSchedule(LrSchedule.Scheduler.COSINE, 2e-3, 1, 10);
            for (StepMetrics m : trainer.history()) {
                assertEquals(schedule.at(m.step() - 1), m.lr(), 1e-12, "step " + m.step());
                assertTrue(m.tokens() > 0 && m.tokensPerSecond() > 0 && m.seconds() > 0);
                assertTrue(m.rssMb() > 0 && m.peakRssMb() >= m.rssMb() && m.tensorMb() > 0);
                assertTrue(m.gradNorm() > 0);
            }
            assertEquals(0.0, trainer.history().get(0).lr(), "first step of a warmup runs at lr 0, as transformers");
            assertEquals(5.0, trainer.history().get(9).epoch(), 1e-9, "10 steps of 2 over 4 examples");
        }
    }

    /**
     * DPO from plain-text triples and from TRL's conversational ones (prompt a list of messages,
     * chosen and rejected one assistant message each), rendered with the chat template: both
     * start at log 2 (B = 0) and learn to prefer the chosen continuation.
     */
    @ParameterizedTest(name = "conversational {0}")
    @ValueSource(booleans = {false, true})
    void dpoStartsAtLog2AgainstTheDisabledAdapterAndLearnsThePreference(boolean conversational) {
        List<ObjectNode> rows = TinyRuns.alphabetPreferences(8, conversational, 5);
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0.05)) {
            TokenizedData<PreferenceExample> data = Dataset.of("prefs.jsonl", DataFormat.auto(), rows)
                    .tokenizePreferences(lm.tokenizer(), TokenizeOptions.defaults().withEvalSplit(0.25));
            if (conversational) {
                // the tiny model has no chat template: ChatML, the prompt ending in the assistant header
                PreferenceExample first = data.train().get(0);
                String prompt = lm.tokenizer().decode(first.prompt(), false);
                assertTrue(prompt.startsWith("<|im_start|>user\n") && prompt.endsWith("<|im_end|>\n<|im_start|>assistant\n"),
                        prompt);
                // the assistant turn as the template closes it, then EOS as TRL appends it
                String chosen = lm.tokenizer().decode(first.chosen(), false);
                assertTrue(chosen.matches("[a-z]{4}<\\|im_end\\|>\n<\\|endoftext\\|>"), chosen);
            }
            try (Trainer trainer = Trainer.dpo(LoraTraining.of(lm), data, base().lr(5e-3).batchSize(3).steps(12).build())) {
                // PEFT's default init has B = 0: the policy is the reference, every z is 0
                assertEquals(Math.log(2), trainer.evaluate().loss(), 1e-6);
                TrainingSummary s = trainer.train();
                assertEquals(Math.log(2), s.firstLoss(), 1e-6);
                assertTrue(s.lastLoss() < 0.5 && s.evalLoss() < Math.log(2), s.toJson().toString());
                assertEquals(1.0, trainer.history().get(11).extra().get("rewards/accuracies"));
            }
        }
    }

    @Test
    void stepsEvaluationsAndCheckpointsLeaveNoArraysBehind() {
        try (CausalLm lm = TinyRuns.withAdapter(modelDir, 8, 0.05)) {
            int before = ((ai.djl.ndarray.BaseNDManager) lm.manager()).getManagedArrays().size();
            for (boolean checkpointing : new boolean[] {true, false}) {
                TrainerConfig c = base().batchSize(2).gradientCheckpointing(checkpointing).build();
                try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), ragged(), ragged(), c)) {
                    trainer.train(3);
                    trainer.evaluate();
                    trainer.saveCheckpoint(tmp.resolve("leak-" + checkpointing));
                }
            }
            assertEquals(before, ((ai.djl.ndarray.BaseNDManager) lm.manager()).getManagedArrays().size());
        }
    }

    @Test
    void schedulesAsTransformersDefinesThem() {
        LrSchedule linear = new LrSchedule(LrSchedule.Scheduler.LINEAR, 1.0, 2, 10);
        assertEquals(List.of(0.0, 0.5, 1.0, 0.875, 0.125, 0.0), List.of(linear.factor(0), linear.factor(1), linear.factor(2),
                linear.factor(3), linear.factor(9), linear.factor(10)));
        LrSchedule cosine = new LrSchedule(LrSchedule.Scheduler.COSINE, 1.0, 0, 10);
        assertEquals(1.0, cosine.factor(0), 1e-15);
        assertEquals(0.5, cosine.factor(5), 1e-15);
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 0.3)), cosine.factor(3), 1e-15);
        assertEquals(0.0, cosine.factor(10), 1e-15);
        LrSchedule constant = new LrSchedule(LrSchedule.Scheduler.CONSTANT, 1.0, 2, 10);
        assertEquals(List.of(0.0, 0.5, 1.0, 1.0), List.of(constant.factor(0), constant.factor(1), constant.factor(2),
                constant.factor(9)));
        assertEquals(3, LrSchedule.warmupSteps(0.03, 100));
        assertEquals(1, LrSchedule.warmupSteps(0.03, 10));
    }

    @Test
    void clippingAsClipGradNorm() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3, 4});
            NDArray b = m.create(new float[] {12});
            double total = GradientClipping.totalNorm(List.of(a, b), m);
            assertEquals(13.0, total, 1e-6);
            GradientClipping.clip(List.of(a, b), total, 6.5);
            float coef = 6.5f / (13f + 1e-6f);
            assertEquals(3 * coef, a.toFloatArray()[0], 1e-7);
            assertEquals(12 * coef, b.toFloatArray()[0], 1e-6);
            GradientClipping.clip(List.of(a, b), 6.5, 100);
            assertEquals(3 * coef, a.toFloatArray()[0], 1e-7, "below the limit nothing changes");
            assertTrue(Double.isNaN(GradientClipping.totalNorm(List.of(m.create(new float[] {Float.NaN})), m)));
            NDArray matrix = m.create(new float[][] {{3, 0}, {0, 4}});
            assertEquals(5.0, GradientClipping.totalNorm(List.of(matrix), m), 1e-6, "Frobenius, not spectral");
        }
    }
}
