package io.jlora.gpu.train;

import io.jlora.JloraException;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.gpu.GpuRuntime;
import io.jlora.io.TensorData;
import io.jlora.lora.LoraConfig;
import io.jlora.lora.LoraInit;
import io.jlora.lora.TargetModules;
import io.jlora.model.ModelConfigReader;
import io.jlora.quant.FourBitSpec;
import io.jlora.quant.Quantization;
import io.jlora.train.Checkpoint;
import io.jlora.train.DataOrder;
import io.jlora.train.GpuTraining;
import io.jlora.train.LrSchedule;
import io.jlora.train.TrainerConfig;
import io.jlora.train.TrainerState;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link GpuTraining} on {@link CudaOps}: the LoRA trainer behind {@code train --device gpu}. Rows
 * are right-padded to the longest row (rounded up to 8) so one {@link LoraStep} serves every batch;
 * the rows are visited in lib's {@link DataOrder}, as the CPU trainer visits them; each optimizer step
 * averages the loss over the predicted tokens of all its micro-batches, as transformers does with
 * gradient accumulation; the learning rate follows lib's {@link LrSchedule}; clipping and AdamW as
 * torch; checkpoints are the CPU trainer's ({@link Checkpoint}), so either trainer resumes the other's.
 * {@code -Djlora.gpu.backend=host} runs the same trainer on {@link HostOps} (tests, machines without a
 * GPU).
 */
public final class GpuLoraTrainer implements GpuTraining {

    @Override
    public Result train(Job job) {
        LoraConfig lc = job.lora();
        TrainerConfig tc = job.config();
        refuseWhatTheStepLacks(job);
        if (Files.exists(job.adapterOut())) {
            throw new JloraException("GPU training: " + job.adapterOut() + " exists already");
        }
        boolean dpo = job.isDpo();
        int examples = dpo ? job.pairs().size() : job.rows().size();
        if (examples == 0) {
            throw new JloraException("GPU training: no training " + (dpo ? "pairs" : "rows"));
        }
        int longest = dpo
                ? java.util.stream.Stream.concat(job.pairs().stream(), job.evalPairs().stream())
                        .mapToInt(PreferenceExample::length).max().orElse(1)
                : java.util.stream.Stream.concat(job.rows().stream(), job.evalRows().stream())
                        .mapToInt(Example::length).max().orElse(1);
        int seq = Math.max(8, (longest + 7) / 8 * 8);
        var config = ModelConfigReader.read(job.model());
        DecoderSpec spec = DecoderSpec.of(config, seq);
        int batch = tc.batchSize();
        int accumulation = tc.gradientAccumulation();
        // the CPU trainer's data order: the same micro-batches, and positions each trainer's checkpoints resume
        DataOrder order = new DataOrder(examples, batch, tc.seed(), tc.shuffle());
        long total = tc.steps() > 0 ? tc.steps()
                : (long) Math.ceil(tc.epochs() * order.microBatchesPerEpoch() / accumulation);
        LrSchedule schedule = LrSchedule.of(tc, total);
        TrainerState resumed = job.resumeFrom() == null ? null : Checkpoint.readState(job.resumeFrom());
        if (resumed != null) {
            resumed.checkResumable(job.resumeFrom(), objective(job), examples);
            if (resumed.schedule() != null) {
                schedule = resumed.schedule();
            }
            order.seek(resumed.epoch(), resumed.dataOffset());
        }
        boolean host = "host".equals(System.getProperty("jlora.gpu.backend"));
        boolean int8 = Quantization.parse(job.quantization()) == Quantization.INT8;
        FourBitSpec quant = int8 ? null : fourBit(job.quantization());
        try (Ops ops = host ? new HostOps() : new CudaOps(GpuRuntime.open(job.device()));
                BaseWeights w = BaseWeights.load(ops, job.model(), spec, quant, int8);
                LoraParams lora = new LoraParams(ops, spec.shape(), lc.r(),
                        (float) lc.scale("model.layers.0.self_attn.q_proj"));
                LoraStep step = new LoraStep(ops, spec, w, lora, dpo ? 2 * batch : batch, seq, tc.gradientCheckpointing(),
                        1024)) {
            lora.initDefault(tc.seed());
            // DPO trains without dropout, as the CPU trainer's DPO task (TRL's reference and policy see one model)
            step.setDropout(dpo ? 0f : (float) lc.loraDropout(), tc.seed() + 1);
            long first = 0;
            List<TrainerState.Logged> log = new ArrayList<>();
            if (resumed != null) {
                restore(job.resumeFrom(), lora, step, resumed);
                first = resumed.globalStep();
                log.addAll(resumed.logHistory());
            }
            double firstLoss = Double.NaN, last = Double.NaN, evalLoss = Double.NaN;
            long evaluatedAt = -1;
            long tokens = 0;
            long started = System.nanoTime();
            for (long s = first; s < total; s++) {
                double[] run = gradients(step, job, order, accumulation, batch, seq);
                double loss = run[0];
                tokens += (long) run[1];
                double lr = schedule.at(s);
                double norm = step.optimizerStep((float) lr, (float) tc.beta1(), (float) tc.beta2(), (float) tc.eps(),
                        (float) tc.weightDecay(), (float) tc.maxGradNorm());
                if (!Double.isFinite(loss)) {
                    throw new JloraException("GPU training: the loss is " + loss + " at step " + (s + 1));
                }
                firstLoss = s == first ? loss : firstLoss;
                last = loss;
                log.add(new TrainerState.Logged(s + 1, loss, lr, norm));
                double seconds = (System.nanoTime() - started) / 1e9;
                if (job.progress() != null) {
                    job.progress().onStep(s + 1, total, loss, lr, norm, tokens / seconds);
                }
                if (tc.evalEvery() > 0 && (s + 1) % tc.evalEvery() == 0 && hasEval(job)) {
                    evalLoss = evaluate(step, job, batch, seq);
                    evaluatedAt = s + 1;
                }
                if (tc.saveEvery() > 0 && tc.outputDir() != null && (s + 1) % tc.saveEvery() == 0) {
                    TrainerState state = new TrainerState(s + 1, step.optimizerSteps(), total, order.epoch(),
                            order.offset(), tc.seed(), objective(job), examples, schedule, tc, List.copyOf(log));
                    saveCheckpoint(tc.outputDir(), s + 1, lora, lc, state);
                    Checkpoint.prune(tc.outputDir(), tc.saveTotalLimit());
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            if (hasEval(job) && total > first && evaluatedAt != total) { // the CPU trainer evaluates at the end too
                evalLoss = evaluate(step, job, batch, seq);
            }
            AdapterWriter.write(lora, lc, job.adapterOut());
            String device = ops instanceof CudaOps c ? c.gpu().describe() : "host (jlora.gpu.backend=host)";
            return new Result(total - first, firstLoss, last, evalLoss, tokens / seconds, device, ops.peakBytes());
        }
    }

    /**
     * One optimizer step's gradients: its micro-batches in the data order through the step, the loss
     * averaged over the step's predicted tokens (SFT) or pairs (DPO). Returns {loss, tokens seen}.
     */
    private static double[] gradients(LoraStep step, Job job, DataOrder order, int accumulation, int batch, int seq) {
        double loss = 0;
        long tokens = 0;
        if (job.isDpo()) {
            List<PreferenceExample[]> micro = microBatches(order, accumulation, job.pairs(), PreferenceExample[]::new);
            float pairWeight = 1f / micro.stream().mapToInt(m -> m.length).sum();
            for (int a = 0; a < micro.size(); a++) {
                int[][] packed = packPairs(micro.get(a), batch, seq);
                loss += step.dpoForwardBackward(packed[0], packed[1], (float) job.config().dpoBeta(), pairWeight, a > 0,
                        micro.get(a).length)[0];
                tokens += java.util.Arrays.stream(micro.get(a)).mapToLong(e -> 2L * e.length()).sum();
            }
        } else {
            List<Example[]> micro = microBatches(order, accumulation, job.rows(), Example[]::new);
            float weight = 1f / Math.max(1, micro.stream().mapToLong(GpuLoraTrainer::predictedTokens).sum());
            for (int a = 0; a < micro.size(); a++) {
                int[][] packed = pack(micro.get(a), batch, seq);
                loss += step.forwardBackward(packed[0], packed[1], weight, a > 0);
                tokens += java.util.Arrays.stream(micro.get(a)).mapToLong(Example::length).sum();
            }
        }
        return new double[] {loss, tokens};
    }

    static boolean hasEval(Job job) {
        return job.isDpo() ? !job.evalPairs().isEmpty() : !job.evalRows().isEmpty();
    }

    /**
     * The CPU trainer's evaluation: the mean loss over the eval examples in order, {@code batch} at a time,
     * dropout off; for SFT per predicted token, for DPO per pair.
     */
    static double evaluate(LoraStep step, Job job, int batch, int seq) {
        double sum = 0;
        long units = 0;
        if (job.isDpo()) {
            List<PreferenceExample> all = job.evalPairs();
            for (int from = 0; from < all.size(); from += batch) {
                PreferenceExample[] pairs = all.subList(from, Math.min(all.size(), from + batch))
                        .toArray(PreferenceExample[]::new);
                int[][] packed = packPairs(pairs, batch, seq);
                sum += step.dpoEvalLossSum(packed[0], packed[1], (float) job.config().dpoBeta(), pairs.length);
                units += pairs.length;
            }
        } else {
            List<Example> all = job.evalRows();
            for (int from = 0; from < all.size(); from += batch) {
                Example[] rows = all.subList(from, Math.min(all.size(), from + batch)).toArray(Example[]::new);
                int[][] packed = pack(rows, batch, seq);
                sum += step.evalLossSum(packed[0], packed[1]);
                units += predictedTokens(rows);
            }
        }
        return units > 0 ? sum / units : Double.NaN;
    }

    /** The next optimizer step's micro-batches, in the data order. */
    private static <E> List<E[]> microBatches(DataOrder order, int accumulation, List<E> all,
            java.util.function.IntFunction<E[]> array) {
        List<E[]> micro = new ArrayList<>();
        for (int a = 0; a < accumulation; a++) {
            int[] picked = order.next();
            E[] rows = array.apply(picked.length);
            for (int i = 0; i < picked.length; i++) {
                rows[i] = all.get(picked[i]);
            }
            micro.add(rows);
        }
        return micro;
    }

    /** "dpo" or "sft", as checkpoints record the objective. */
    static String objective(Job job) {
        return job.isDpo() ? "dpo" : "sft";
    }

    /**
     * {ids, targets} of a DPO micro-batch for a step of {@code 2 * batch} rows: row p prompt + chosen, row
     * batch + p prompt + rejected; targets on the completion tokens only (TRL's log-probabilities); rows
     * past the given pairs are empty.
     */
    static int[][] packPairs(PreferenceExample[] pairs, int batch, int seq) {
        int[] ids = new int[2 * batch * seq];
        int[] targets = new int[2 * batch * seq];
        java.util.Arrays.fill(targets, -1);
        for (int p = 0; p < pairs.length; p++) {
            fillPairRow(ids, targets, p * seq, pairs[p].prompt(), pairs[p].chosen());
            fillPairRow(ids, targets, (batch + p) * seq, pairs[p].prompt(), pairs[p].rejected());
        }
        return new int[][] {ids, targets};
    }

    private static void fillPairRow(int[] ids, int[] targets, int at, long[] prompt, long[] completion) {
        for (int i = 0; i < prompt.length; i++) {
            ids[at + i] = (int) prompt[i];
        }
        for (int i = 0; i < completion.length; i++) {
            ids[at + prompt.length + i] = (int) completion[i];
            if (prompt.length + i > 0) { // predicted from the position before
                targets[at + prompt.length + i - 1] = (int) completion[i];
            }
        }
    }

    /** Writes checkpoint-STEP as the CPU trainer does: trainable and AdamW arrays, state, the PEFT adapter. */
    static void saveCheckpoint(java.nio.file.Path outputDir, long stepNumber, LoraParams lora, LoraConfig lc,
            TrainerState state) {
        java.util.Map<String, TensorData> optimizer = new java.util.LinkedHashMap<>();
        for (var e : lora.layout().entries()) {
            long[] shape = {e.rows(), e.cols()};
            optimizer.put("exp_avg." + e.key(), AdapterWriter.f32(shape, lora.moment(e.key(), false)));
            optimizer.put("exp_avg_sq." + e.key(), AdapterWriter.f32(shape, lora.moment(e.key(), true)));
        }
        Checkpoint.write(outputDir, stepNumber, AdapterWriter.weights(lora), optimizer, state,
                folder -> AdapterWriter.files(lora, lc, folder));
    }

    /** Loads a checkpoint's trainable values and AdamW state (written by either trainer). */
    static void restore(java.nio.file.Path checkpoint, LoraParams lora, LoraStep step, TrainerState state) {
        TensorFiles values = TensorFiles.open(Checkpoint.file(checkpoint, Checkpoint.TRAINABLE));
        TensorFiles moments = TensorFiles.open(Checkpoint.file(checkpoint, Checkpoint.OPTIMIZER));
        java.util.Map<String, float[]> master = new java.util.HashMap<>();
        for (var e : lora.layout().entries()) {
            if (!values.contains(e.key())) {
                throw new JloraException(checkpoint + " holds no " + e.key() + ": not a checkpoint of this adapter's shape"
                        + " (the GPU trainer trains all-linear LoRA)");
            }
            master.put(e.key(), values.floats(e.key(), e.elements()));
            lora.setMoments(e.key(), moments.floats("exp_avg." + e.key(), e.elements()),
                    moments.floats("exp_avg_sq." + e.key(), e.elements()));
        }
        lora.set(master);
        step.setOptimizerSteps(state.optimizerStep());
    }

    /** The 4-bit spec of {@code --quantization} (null: none or int8); float16 is refused in one line. */
    static FourBitSpec fourBit(String quantization) {
        Quantization q = Quantization.parse(quantization);
        if (q == Quantization.NONE || q == Quantization.INT8) {
            return null;
        }
        if (!q.isFourBit()) {
            throw new JloraException("--device gpu: the GPU trainer quantizes to int4, nf4, fp4 or int8, not " + q.label());
        }
        return q.fourBitSpec(FourBitSpec.DEFAULT_BLOCK_SIZE);
    }

    /** The predicted tokens of a micro-batch: positions whose next label counts. */
    static long predictedTokens(Example[] rows) {
        long n = 0;
        for (Example e : rows) {
            long[] labels = e.labels();
            for (int i = 1; i < labels.length; i++) {
                n += labels[i] == Example.IGNORE ? 0 : 1;
            }
        }
        return n;
    }

    /**
     * {ids, targets} of a right-padded micro-batch of {@code batch} rows (an epoch's last may hold fewer
     * examples: empty rows follow): targets[i] = labels[i + 1], -1 where nothing is predicted.
     */
    static int[][] pack(Example[] rows, int batch, int seq) {
        int[] ids = new int[batch * seq];
        int[] targets = new int[batch * seq];
        java.util.Arrays.fill(targets, -1);
        for (int r = 0; r < rows.length; r++) {
            long[] in = rows[r].inputIds();
            long[] labels = rows[r].labels();
            for (int i = 0; i < in.length; i++) {
                ids[r * seq + i] = (int) in[i];
                if (i + 1 < labels.length && labels[i + 1] != Example.IGNORE) {
                    targets[r * seq + i] = (int) labels[i + 1];
                }
            }
        }
        return new int[][] {ids, targets};
    }

    /** One line naming the first LoRA or trainer option the GPU step does not compute yet. */
    static void refuseWhatTheStepLacks(Job job) {
        LoraConfig lc = job.lora();
        String missing = null;
        if (!(lc.targetModules() instanceof TargetModules.AllLinear)) {
            missing = "target modules other than all-linear (" + lc.targetModules() + ")";
        } else if (lc.useDora()) {
            missing = "DoRA";
        } else if (lc.init() != LoraInit.DEFAULT) {
            missing = "init_lora_weights " + lc.init();
        } else if (!lc.rankPattern().isEmpty() || !lc.alphaPattern().isEmpty() || lc.layersToTransform() != null) {
            missing = "per-layer rank or alpha patterns, layers_to_transform";
        } else if (job.rows().stream().anyMatch(Example::packed)) {
            missing = "packed rows (--packing)";
        }
        if (missing != null) {
            throw new JloraException("--device gpu: the GPU trainer does not support " + missing + " yet");
        }
    }
}
