package io.jlora.train;

import static io.jlora.InvalidFieldException.require;

import io.jlora.InvalidFieldException;
import io.jlora.model.autograd.QuantizedOutputs;
import io.jlora.train.LrSchedule.Scheduler;
import java.nio.file.Path;

/**
 * Training options. The defaults are the {@link Builder}'s field values, the one place they are
 * written (the {@code train} / {@code dpo} commands take theirs from {@link #defaults()}): lr 2e-4,
 * batch size 4, gradient accumulation 1, cosine schedule, warmup ratio 0.03, max grad norm 1.0,
 * weight decay 0, gradient checkpointing on, seed 42. Immutable; change it with {@link #toBuilder()}.
 * A bad value throws {@link InvalidFieldException} naming the field.
 *
 * <p>The schedule spreads over {@code steps} optimizer steps, or {@code epochs} passes over the
 * data when steps is 0; with neither, over the steps of the first {@code train(n)} call.
 *
 * @param steps total optimizer steps; 0 when unset
 * @param epochs passes over the data; 0 when unset
 * @param lr peak learning rate
 * @param batchSize examples per micro-batch
 * @param gradientAccumulation micro-batches per optimizer step
 * @param scheduler the learning-rate schedule after warmup
 * @param warmupRatio warmup as a share of the planned steps
 * @param warmupSteps warmup steps overriding the ratio; -1 when the ratio decides
 * @param maxGradNorm gradient clipping norm; 0 or less: no clipping
 * @param weightDecay decoupled weight decay (AdamW)
 * @param beta1 AdamW's first-moment decay
 * @param beta2 AdamW's second-moment decay
 * @param eps AdamW's epsilon
 * @param gradientCheckpointing keep only layer inputs, recompute layers in the backward pass
 * @param keepQuantizedOutputs under gradient checkpointing, which outputs of quantized projections the
 *     first pass keeps for the recomputation, as float ones keep all of theirs ({@link QuantizedOutputs}):
 *     all of them (46 MiB a layer at a 1B model and 512 tokens) spare it every 4-bit GEMM, the
 *     attention block's (10 MiB) a quarter of them, none keeps the least memory; by default (auto) all,
 *     else the attention block's, else none: as much as fits in 1 GiB for the micro-batch
 * @param seed data order and dropout
 * @param shuffle shuffle the examples every epoch
 * @param evalEvery evaluate every N steps; 0: only at the end of a train call (when there is an eval set)
 * @param saveEvery a checkpoint in {@code outputDir} every N steps; 0: none
 * @param saveTotalLimit checkpoints kept (oldest removed first); 0 keeps all
 * @param outputDir where checkpoints go; null for none
 * @param nonFinite what a step with a non-finite loss or gradient does
 * @param dpoBeta DPO's beta
 * @param padTokenId id written into padded positions (never attended to nor trained)
 */
public record TrainerConfig(long steps, double epochs, double lr, int batchSize, int gradientAccumulation,
        Scheduler scheduler, double warmupRatio, int warmupSteps, double maxGradNorm, double weightDecay,
        double beta1, double beta2, double eps, boolean gradientCheckpointing, QuantizedOutputs keepQuantizedOutputs, long seed,
        boolean shuffle,
        long evalEvery, long saveEvery, int saveTotalLimit, Path outputDir, NonFinitePolicy nonFinite,
        double dpoBeta, long padTokenId) {

    private static final TrainerConfig DEFAULTS = new Builder().build();

    /** Checks every value; throws {@link InvalidFieldException} naming the first bad field. */
    public TrainerConfig {
        require(steps >= 0, "steps", "must be >= 0, got " + steps);
        require(epochs >= 0 && Double.isFinite(epochs), "epochs", "must be >= 0, got " + epochs);
        require(lr >= 0 && Double.isFinite(lr), "lr", "must be >= 0, got " + lr);
        require(batchSize >= 1, "batchSize", "must be >= 1, got " + batchSize);
        require(gradientAccumulation >= 1, "gradientAccumulation", "must be >= 1, got " + gradientAccumulation);
        require(scheduler != null, "scheduler", "is required");
        require(keepQuantizedOutputs != null, "keepQuantizedOutputs", "is required");
        require(warmupRatio >= 0 && warmupRatio <= 1, "warmupRatio", "must be in [0, 1], got " + warmupRatio);
        require(warmupSteps >= -1, "warmupSteps", "must be >= 0, got " + warmupSteps);
        require(!Double.isNaN(maxGradNorm), "maxGradNorm", "must be a number");
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weightDecay", "must be >= 0, got " + weightDecay);
        require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got " + beta1);
        require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got " + beta2);
        require(eps >= 0, "eps", "must be >= 0, got " + eps);
        require(evalEvery >= 0, "evalEvery", "must be >= 0, got " + evalEvery);
        require(saveEvery >= 0, "saveEvery", "must be >= 0, got " + saveEvery);
        require(saveTotalLimit >= 0, "saveTotalLimit", "must be >= 0, got " + saveTotalLimit);
        require(nonFinite != null, "nonFinite", "is required");
        require(dpoBeta > 0 && Double.isFinite(dpoBeta), "dpoBeta", "must be > 0, got " + dpoBeta);
        require(padTokenId >= 0, "padTokenId", "must be >= 0, got " + padTokenId);
    }

    /** All defaults. */
    public static TrainerConfig defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return builder().steps(steps).epochs(epochs).lr(lr).batchSize(batchSize).gradientAccumulation(gradientAccumulation)
                .scheduler(scheduler).warmupRatio(warmupRatio).warmupSteps(warmupSteps).maxGradNorm(maxGradNorm)
                .weightDecay(weightDecay).betas(beta1, beta2).eps(eps).gradientCheckpointing(gradientCheckpointing)
                .keepQuantizedOutputs(keepQuantizedOutputs).seed(seed)
                .shuffle(shuffle).evalEvery(evalEvery).saveEvery(saveEvery).saveTotalLimit(saveTotalLimit)
                .outputDir(outputDir).nonFinite(nonFinite).dpoBeta(dpoBeta).padTokenId(padTokenId);
    }

    @Override
    public String toString() {
        return "TrainerConfig{steps=" + steps + ", epochs=" + epochs + ", lr=" + lr + ", batchSize=" + batchSize
                + ", gradientAccumulation=" + gradientAccumulation + ", scheduler=" + scheduler.name().toLowerCase()
                + ", warmupRatio=" + warmupRatio + ", warmupSteps=" + warmupSteps + ", maxGradNorm=" + maxGradNorm
                + ", weightDecay=" + weightDecay + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps
                + ", gradientCheckpointing=" + gradientCheckpointing
                + ", keepQuantizedOutputs=" + keepQuantizedOutputs.name().toLowerCase()
                + ", seed=" + seed + ", evalEvery=" + evalEvery
                + ", saveEvery=" + saveEvery + ", outputDir=" + outputDir + ", nonFinite=" + nonFinite
                + ", dpoBeta=" + dpoBeta + "}";
    }

    /** Builds a {@link TrainerConfig}; its field initialisers are the defaults. {@link #build()} checks the values. */
    public static final class Builder {
        private long steps;
        private double epochs;
        private double lr = 2e-4;
        private int batchSize = 4;
        private int gradientAccumulation = 1;
        private Scheduler scheduler = Scheduler.COSINE;
        private double warmupRatio = 0.03;
        private int warmupSteps = -1;
        private double maxGradNorm = 1.0;
        private double weightDecay;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private boolean gradientCheckpointing = true;
        private QuantizedOutputs keepQuantizedOutputs = QuantizedOutputs.AUTO;
        private long seed = 42;
        private boolean shuffle = true;
        private long evalEvery;
        private long saveEvery;
        private int saveTotalLimit;
        private Path outputDir;
        private NonFinitePolicy nonFinite = NonFinitePolicy.SKIP;
        private double dpoBeta = 0.1;
        private long padTokenId;

        private Builder() {}

        public Builder steps(long n) {
            this.steps = n;
            return this;
        }

        public Builder epochs(double e) {
            this.epochs = e;
            return this;
        }

        public Builder lr(double v) {
            this.lr = v;
            return this;
        }

        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        public Builder gradientAccumulation(int n) {
            this.gradientAccumulation = n;
            return this;
        }

        public Builder scheduler(Scheduler s) {
            this.scheduler = s;
            return this;
        }

        /** constant, linear or cosine (case-insensitive). */
        public Builder scheduler(String s) {
            try {
                return scheduler(Scheduler.parse(s));
            } catch (IllegalArgumentException e) {
                throw new InvalidFieldException("scheduler", "must be constant, linear or cosine, not '" + s + "'");
            }
        }

        public Builder warmupRatio(double r) {
            this.warmupRatio = r;
            return this;
        }

        /** Warmup steps, overriding the ratio; -1 to let the ratio decide. */
        public Builder warmupSteps(int n) {
            this.warmupSteps = n;
            return this;
        }

        public Builder maxGradNorm(double v) {
            this.maxGradNorm = v;
            return this;
        }

        public Builder weightDecay(double v) {
            this.weightDecay = v;
            return this;
        }

        public Builder betas(double b1, double b2) {
            this.beta1 = b1;
            this.beta2 = b2;
            return this;
        }

        public Builder eps(double v) {
            this.eps = v;
            return this;
        }

        public Builder gradientCheckpointing(boolean on) {
            this.gradientCheckpointing = on;
            return this;
        }

        public Builder keepQuantizedOutputs(QuantizedOutputs which) {
            this.keepQuantizedOutputs = which;
            return this;
        }

        /** true: all of them, false: none. */
        public Builder keepQuantizedOutputs(boolean all) {
            return keepQuantizedOutputs(all ? QuantizedOutputs.ALL : QuantizedOutputs.NONE);
        }

        /** auto, none, attention or all (case-insensitive); true and false as {@link #keepQuantizedOutputs(boolean)}. */
        public Builder keepQuantizedOutputs(String which) {
            try {
                return keepQuantizedOutputs(QuantizedOutputs.parse(which));
            } catch (IllegalArgumentException e) {
                throw new InvalidFieldException("keepQuantizedOutputs", e.getMessage());
            }
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder shuffle(boolean on) {
            this.shuffle = on;
            return this;
        }

        public Builder evalEvery(long n) {
            this.evalEvery = n;
            return this;
        }

        public Builder saveEvery(long n) {
            this.saveEvery = n;
            return this;
        }

        public Builder saveTotalLimit(int n) {
            this.saveTotalLimit = n;
            return this;
        }

        public Builder outputDir(Path dir) {
            this.outputDir = dir;
            return this;
        }

        public Builder nonFinite(NonFinitePolicy p) {
            this.nonFinite = p;
            return this;
        }

        public Builder dpoBeta(double b) {
            this.dpoBeta = b;
            return this;
        }

        public Builder padTokenId(long id) {
            this.padTokenId = id;
            return this;
        }

        /** The config; throws {@link InvalidFieldException} naming the first bad field. */
        public TrainerConfig build() {
            return new TrainerConfig(steps, epochs, lr, batchSize, gradientAccumulation, scheduler, warmupRatio,
                    warmupSteps, maxGradNorm, weightDecay, beta1, beta2, eps, gradientCheckpointing, keepQuantizedOutputs, seed,
                    shuffle, evalEvery, saveEvery, saveTotalLimit, outputDir, nonFinite, dpoBeta, padTokenId);
        }
    }
}
