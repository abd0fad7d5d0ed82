package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;
import io.jlora.data.Example;
import io.jlora.data.PreferenceExample;
import io.jlora.data.TokenizedData;
import io.jlora.model.autograd.GradRecording;
import io.jlora.train.TrainingSummary.StopReason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

/**
 * Trains the named arrays of a {@link TrainableModel} on tokenized examples: supervised
 * fine-tuning ({@link #sft}) or DPO ({@link #dpo}). Interactive: {@link #step()} runs one
 * optimizer step, {@link #train(long)} n more, {@link #train()} the rest of the configured run;
 * listeners see every step, evaluation and end. {@link #cancel()} (any thread) or an interrupt of
 * the training thread stops it after the current step.
 *
 * <p>A step: {@code gradient-accumulation} micro-batches of {@code batch-size} examples, each
 * forward and backward ({@link Backprop}, gradient checkpointing by default) with the loss
 * normalised over the whole step; then the total gradient norm, the NaN/Inf guard (a step whose
 * loss or gradients are not finite is not applied; see {@link NonFinitePolicy}), clipping to
 * max-grad-norm (torch's clip_grad_norm_), the scheduled learning rate and one {@link AdamW}
 * update. Runs are reproducible: data order and dropout follow from the seed and the step.
 *
 * <p>Checkpoints ({@code save-every}, {@link #saveCheckpoint()}) hold the trainable arrays, the
 * optimizer state, the step, the data position and the seed; {@link #resume(Path)} carries on
 * from one exactly as the uninterrupted run would have.
 *
 * <pre>{@code
 * TrainableModel model = LoraTraining.of(lm);                 // the active adapter's A/B arrays
 * Trainer trainer = Trainer.sft(model, data, TrainerConfig.builder().steps(100).build());
 * trainer.addListener(new TrainingListener() { public void onStep(StepMetrics m) { plot(m); } });
 * TrainingSummary s = trainer.train();
 * }</pre>
 *
 * Not thread-safe: one thread trains (the calling one); {@link #cancel()} may come from any.
 *
 * <p>Longer than 350 lines on purpose: the step loop, evaluation, checkpoint writing and resuming
 * share one mutable state (step, data position, optimizer, schedule, history) that must move
 * together for a resumed run to match the uninterrupted one; what differs per objective is in
 * {@link Task}, the file format in {@link Checkpoint} and {@link TrainerState}, the arithmetic in
 * {@link Backprop}, {@link AdamW}, {@link GradientClipping} and {@link LrSchedule}, a data-parallel
 * group's sums in {@link GroupSums}.
 */
public final class Trainer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Trainer.class.getName());

    private final TrainableModel model;
    private final TrainerConfig config;
    private final Task task;
    private final Map<String, NDArray> parameters;
    private final NDManager root;
    private final AdamW optimizer;
    private final DataOrder order;
    private final Backprop backprop;
    private final List<TrainingListener> listeners = new CopyOnWriteArrayList<>();
    private final List<StepMetrics> history = new ArrayList<>();
    private volatile boolean cancelled;
    private long step;
    private long plannedSteps;
    private LrSchedule schedule;
    private EvalMetrics lastEval;
    private Path lastCheckpoint;
    private StopReason pendingStop;
    private DataParallel parallel;

    private Trainer(TrainableModel model, Task task, TrainerConfig config) {
        this.model = model;
        this.config = config;
        this.task = task;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(model.parameters()));
        if (parameters.isEmpty()) {
            throw new JloraException("nothing to train: the model has no trainable parameters (attach an adapter first)");
        }
        if (task.trainSize() == 0) {
            throw new JloraException("nothing to train on: no training examples");
        }
        boolean embeddingTrainable = false;
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            if (!p.getDataType().isFloating()) {
                throw new JloraException("trainable parameter " + e.getKey() + " is " + p.getDataType() + ", not floating point");
            }
            if (!p.hasGradient()) {
                p.setRequiresGradient(true);
            }
            embeddingTrainable |= p == model.decoder().parameters().get("model.embed_tokens.weight");
        }
        this.root = model.decoder().manager();
        this.optimizer = new AdamW(root, config.beta1(), config.beta2(), config.eps(), config.weightDecay());
        this.order = new DataOrder(task.trainSize(), config.batchSize(), config.seed(), config.shuffle());
        this.backprop = new Backprop(model.decoder(), config.gradientCheckpointing(), config.keepQuantizedOutputs(),
                embeddingTrainable);
        task.beforeFirstUpdate(model, root, config);
        this.plannedSteps = configuredSteps();
    }

    /** Supervised fine-tuning on {@code data}'s train examples, evaluating on its eval examples. */
    public static Trainer sft(TrainableModel model, TokenizedData<Example> data, TrainerConfig config) {
        return sft(model, data.train(), data.eval(), config);
    }

    public static Trainer sft(TrainableModel model, List<Example> train, List<Example> eval, TrainerConfig config) {
        return new Trainer(model, new SftTask(train, eval), config);
    }

    /**
     * DPO (sigmoid loss, beta = config's dpo-beta) against the model's reference mode or, for a model
     * without one (full fine-tuning), against reference log-probs computed here, before any update,
     * from the weights the model has now (resume a checkpoint after this, not before).
     */
    public static Trainer dpo(TrainableModel model, TokenizedData<PreferenceExample> data, TrainerConfig config) {
        return dpo(model, data.train(), data.eval(), config);
    }

    public static Trainer dpo(TrainableModel model, List<PreferenceExample> train, List<PreferenceExample> eval,
            TrainerConfig config) {
        return new Trainer(model, new DpoTask(train, eval, config.dpoBeta()), config);
    }

    // ---------------------------------------------------------------- public API

    public TrainerConfig config() {
        return config;
    }

    public TrainableModel model() {
        return model;
    }

    /** Optimizer steps completed (skipped ones included). */
    public long currentStep() {
        return step;
    }

    /** The steps the schedule spreads over (0 while not yet known). */
    public long plannedSteps() {
        return plannedSteps;
    }

    /** Metrics of every step so far. */
    public List<StepMetrics> history() {
        return Collections.unmodifiableList(history);
    }

    /** The last evaluation, or null. */
    public EvalMetrics lastEval() {
        return lastEval;
    }

    /** The last checkpoint written or resumed from, or null. */
    public Path lastCheckpoint() {
        return lastCheckpoint;
    }

    public void addListener(TrainingListener listener) {
        listeners.add(listener);
    }

    public void removeListener(TrainingListener listener) {
        listeners.remove(listener);
    }

    /**
     * Makes this trainer one member of a data-parallel group (call before the first step): each
     * micro-batch's rows are split over the group ({@link DataParallel#slice}), the step's loss
     * normaliser, loss and gradients are summed over it, and every member applies the same update,
     * so the run equals one process's with the same global batch. Member 0 alone writes checkpoints.
     * A stop ({@link #cancel()} on any member) takes effect on all after the same step.
     */
    public Trainer distribute(DataParallel group) {
        if (step > 0) {
            throw new JloraException("distribute before the first step (this trainer is at step " + step + ")");
        }
        int workers = group.size();
        if (config.batchSize() < workers) {
            throw new JloraException("batch size " + config.batchSize() + " is smaller than the " + workers
                    + " workers: each needs at least one example of every micro-batch");
        }
        int last = task.trainSize() % config.batchSize();
        if (last != 0 && last < workers) {
            throw new JloraException("an epoch's last micro-batch holds " + last + " of " + task.trainSize()
                    + " examples, fewer than the " + workers + " workers; choose a batch size that divides the examples"
                    + " or leaves at least " + workers);
        }
        this.parallel = group.size() > 1 ? group : null;
        return this;
    }

    /** Stops a running {@link #train} after its current step; safe from any thread. */
    public void cancel() {
        cancelled = true;
    }

    /** Runs the configured run to its end ({@code steps} or {@code epochs}). */
    public TrainingSummary train() {
        long remaining = plannedSteps > 0 ? plannedSteps - step : 0;
        if (plannedSteps == 0) {
            throw new JloraException("how long to train? set steps or epochs in the config, or call train(n)");
        }
        return train(Math.max(0, remaining));
    }

    /**
     * Runs up to {@code n} more steps; stops early on {@link #cancel()}, an interrupt (the flag is
     * left set for the caller) or a non-finite step under {@link NonFinitePolicy#STOP}. When all
     * steps ran and there is an eval set, evaluates (unless the last step just did), then tells
     * listeners.
     */
    public TrainingSummary train(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + n);
        }
        if (plannedSteps == 0) {
            plannedSteps = step + n;
        }
        cancelled = false;
        long started = System.nanoTime();
        int firstIndex = history.size();
        StopReason reason = StopReason.COMPLETED;
        for (long k = 0; k < n; k++) {
            // a group member stops only where the group agrees (in step()), never alone
            if (parallel == null && Thread.currentThread().isInterrupted()) {
                reason = StopReason.INTERRUPTED;
                break;
            }
            step();
            if (pendingStop != null) {
                reason = pendingStop;
                pendingStop = null;
                break;
            }
            if (cancelled) {
                reason = StopReason.CANCELLED;
                break;
            }
            if (parallel == null && Thread.currentThread().isInterrupted()) {
                reason = StopReason.INTERRUPTED;
                break;
            }
        }
        List<StepMetrics> run = history.subList(firstIndex, history.size());
        boolean evaluatedLast = lastEval != null && lastEval.step() == step;
        if (task.evalSize() > 0 && !run.isEmpty() && !evaluatedLast && reason == StopReason.COMPLETED) {
            evaluate();
        }
        TrainingSummary summary = summary(run, reason, (System.nanoTime() - started) / 1e9);
        for (TrainingListener l : listeners) {
            l.onEnd(summary);
        }
        return summary;
    }

    /** One optimizer step; returns its metrics (also given to listeners). */
    public StepMetrics step() {
        if (plannedSteps == 0) {
            plannedSteps = configuredSteps();
        }
        if (schedule == null) {
            schedule = LrSchedule.of(config, plannedSteps);
        }
        long started = System.nanoTime();
        StepPhases phases = new StepPhases();
        backprop.phases(phases);
        zeroGradients();
        phases.start(StepPhases.Phase.DATA);
        List<MicroBatch> batches = new ArrayList<>();
        int[] firstRows = new int[config.gradientAccumulation()];
        double units = 0;
        long tokens = 0;
        for (int k = 0; k < config.gradientAccumulation(); k++) {
            int[] rows = order.next();
            if (parallel != null) {
                int[] slice = DataParallel.slice(rows.length, parallel.rank(), parallel.size());
                firstRows[k] = slice[0];
                rows = java.util.Arrays.copyOfRange(rows, slice[0], slice[1]);
            }
            MicroBatch b = task.collate(rows, false, config.padTokenId());
            batches.add(b);
            units += b.units();
            tokens += b.tokens();
        }
        if (parallel != null) {
            double[] counts = {units, tokens};
            parallel.allReduceSum(counts);
            units = counts[0];
            tokens = (long) counts[1];
        }
        double loss = 0;
        Map<String, Double> extraSums = new LinkedHashMap<>();
        model.training(task.dropout());
        try {
            for (int k = 0; k < batches.size(); k++) {
                long seed = Seeds.mix(config.seed(), step, k);
                backprop.firstRow(firstRows[k]);
                try (NDManager scope = root.newSubManager()) {
                    loss += task.forwardBackward(model, backprop, scope, batches.get(k), units, seed, extraSums);
                }
            }
        } finally {
            model.training(false);
        }
        if (parallel != null) {
            double[] summed = GroupSums.lossAndStop(parallel, loss, cancelled || Thread.currentThread().isInterrupted(), extraSums);
            loss = summed[0];
            cancelled |= summed[1] > 0;
        }
        // the schedule counts steps, applied or skipped (as transformers' scheduler steps on when AMP skips one)
        double lr = schedule.at(step);
        double gradNorm;
        boolean skipped;
        phases.start(StepPhases.Phase.OPTIMIZER);
        try (NDManager scope = root.newSubManager(); GradRecording.Scope off = Autograd.recording(false)) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            parameters.forEach((name, p) -> grads.put(name, Autograd.gradient(p, scope)));
            if (parallel != null) {
                GroupSums.gradients(parallel, grads, scope);
            }
            for (TrainingListener l : listeners) {
                l.onGradients(step + 1, grads);
            }
            gradNorm = GradientClipping.totalNorm(grads.values(), scope);
            skipped = !Double.isFinite(loss) || !Double.isFinite(gradNorm);
            if (!skipped) {
                if (config.maxGradNorm() > 0) {
                    GradientClipping.clip(grads.values(), gradNorm, config.maxGradNorm());
                }
                optimizer.step(parameters, grads, lr);
            }
        }
        zeroGradients();
        phases.stop();
        step++;
        String note = null;
        if (skipped) {
            String what = !Double.isFinite(loss) ? "loss is " + loss : "gradient norm is " + gradNorm;
            String message = "step " + step + ": " + what + "; the update was skipped and the weights keep their last"
                    + " finite values" + (config.nonFinite() == NonFinitePolicy.STOP ? "; stopping" : "");
            LOG.warning(message);
            note = message;
            if (config.nonFinite() == NonFinitePolicy.STOP) {
                pendingStop = StopReason.NOT_FINITE;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        StepMetrics metrics = new StepMetrics(step, order.progress(), loss, lr, gradNorm, tokens, seconds,
                tokens / Math.max(seconds, 1e-9), mib(MemoryStats.rssBytes()), mib(MemoryStats.peakRssBytes()),
                mib(MemoryStats.tensorBytes(root)), skipped, note, task.means(extraSums, units), phases.seconds());
        history.add(metrics);
        for (TrainingListener l : listeners) {
            l.onStep(metrics);
        }
        if (config.evalEvery() > 0 && step % config.evalEvery() == 0 && task.evalSize() > 0) {
            evaluate();
        }
        if (config.saveEvery() > 0 && step % config.saveEvery() == 0 && config.outputDir() != null
                && (parallel == null || parallel.rank() == 0)) {
            saveCheckpoint();
        }
        return metrics;
    }

    /** Mean loss over the eval examples (no gradients, dropout off); tells listeners. */
    public EvalMetrics evaluate() {
        if (task.evalSize() == 0) {
            throw new JloraException("no eval examples (set an eval split when loading the data)");
        }
        long started = System.nanoTime();
        double sum = 0;
        double units = 0;
        Map<String, Double> extra = new LinkedHashMap<>();
        model.training(false);
        try (GradRecording.Scope off = Autograd.recording(false)) {
            for (int from = 0; from < task.evalSize(); from += config.batchSize()) {
                int n = Math.min(config.batchSize(), task.evalSize() - from);
                int[] idx = new int[n];
                for (int i = 0; i < n; i++) {
                    idx[i] = from + i;
                }
                try (NDManager scope = root.newSubManager()) {
                    double[] s = task.evalSums(model, scope, task.collate(idx, true, config.padTokenId()), extra);
                    sum += s[0];
                    units += s[1];
                }
            }
        }
        EvalMetrics m = new EvalMetrics(step, units > 0 ? sum / units : Double.NaN, (long) units,
                (System.nanoTime() - started) / 1e9, task.means(extra, units));
        lastEval = m;
        for (TrainingListener l : listeners) {
            l.onEval(m);
        }
        return m;
    }

    /** Writes a checkpoint of the current state under the config's output folder; returns it. */
    public Path saveCheckpoint() {
        if (config.outputDir() == null) {
            throw new JloraException("no output folder configured for checkpoints");
        }
        return saveCheckpoint(config.outputDir());
    }

    /** Writes a checkpoint of the current state as {@code outputDir/checkpoint-STEP}. */
    public Path saveCheckpoint(Path outputDir) {
        List<TrainerState.Logged> log = history.stream()
                .map(m -> new TrainerState.Logged(m.step(), m.loss(), m.lr(), m.gradNorm())).toList();
        TrainerState state = new TrainerState(step, optimizer.steps(), plannedSteps, order.epoch(), order.offset(),
                config.seed(), task.objective(), task.trainSize(), schedule, config, log);
        Path dir = Checkpoint.write(outputDir, step, parameters, optimizer.stateArrays(), state, model, root);
        Checkpoint.prune(outputDir, config.saveTotalLimit());
        lastCheckpoint = dir;
        return dir;
    }

    /**
     * Restores a checkpoint written by {@link #saveCheckpoint}: trainable values, optimizer state,
     * step, data position and schedule. The data and batch size should be those of the run that
     * wrote it (checked: the number of training examples).
     */
    public void resume(Path checkpoint) {
        TrainerState state = Checkpoint.readState(checkpoint);
        state.checkResumable(checkpoint, task.objective(), task.trainSize());
        try (NDManager scratch = root.newSubManager()) {
            Map<String, NDArray> values = Checkpoint.readTensors(checkpoint, Checkpoint.TRAINABLE, scratch);
            if (!values.keySet().equals(parameters.keySet())) {
                throw new JloraException(checkpoint + " holds parameters " + describe(values.keySet())
                        + ", this model trains " + describe(parameters.keySet()));
            }
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                NDArray v = values.get(e.getKey());
                if (!v.getShape().equals(e.getValue().getShape())) {
                    throw new JloraException(checkpoint + ": " + e.getKey() + " has shape " + v.getShape() + ", the model's is "
                            + e.getValue().getShape());
                }
                Autograd.assign(e.getValue(), v.toType(e.getValue().getDataType(), false), scratch);
            }
            Map<String, NDArray> opt = Checkpoint.readTensors(checkpoint, Checkpoint.OPTIMIZER, scratch);
            optimizer.load(opt, state.optimizerStep(), parameters);
        }
        step = state.globalStep();
        if (state.plannedSteps() >= 0) {
            plannedSteps = state.plannedSteps();
        }
        order.seek(state.epoch(), state.dataOffset());
        if (state.schedule() != null) {
            schedule = state.schedule();
        }
        lastCheckpoint = checkpoint;
    }

    /** Frees the optimizer state; the model and its parameters are left as they are. */
    @Override
    public void close() {
        optimizer.close();
    }

    // ---------------------------------------------------------------- internals

    private long configuredSteps() {
        if (config.steps() > 0) {
            return config.steps();
        }
        if (config.epochs() > 0) {
            double micro = config.epochs() * order.microBatchesPerEpoch();
            return (long) Math.ceil(micro / config.gradientAccumulation());
        }
        return 0;
    }

    private void zeroGradients() {
        for (NDArray p : parameters.values()) {
            Autograd.zeroGradient(p);
        }
    }

    private TrainingSummary summary(List<StepMetrics> run, StopReason reason, double seconds) {
        double first = run.isEmpty() ? Double.NaN : run.get(0).loss();
        double last = run.isEmpty() ? Double.NaN : run.get(run.size() - 1).loss();
        long tokens = 0;
        double time = 0;
        for (int i = run.size() > 1 ? 1 : 0; i < run.size(); i++) {
            tokens += run.get(i).tokens();
            time += run.get(i).seconds();
        }
        Double eval = lastEval == null ? null : lastEval.loss();
        return new TrainingSummary(run.size(), step, first, last, eval, time > 0 ? tokens / time : 0,
                mib(MemoryStats.peakRssBytes()), seconds, reason, lastCheckpoint != null ? lastCheckpoint.getParent()
                        : config.outputDir());
    }

    private static String describe(java.util.Collection<String> names) {
        List<String> l = new ArrayList<>(names);
        return l.size() <= 3 ? l.toString() : "[" + l.get(0) + ", " + l.get(1) + ", ... (" + l.size() + ")]";
    }

    private static double mib(long bytes) {
        return bytes < 0 ? -1 : bytes / (1024.0 * 1024.0);
    }

    static float floatOf(NDArray a) {
        return a.toType(DataType.FLOAT32, false).getFloat();
    }
}
