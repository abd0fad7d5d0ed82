package io.jlora.train;

import io.jlora.train.LrSchedule.Scheduler;
import java.nio.file.Path;

/**
 * Training options, named and defaulted as the {@code train} / {@code dpo} commands' options
 * (COMMANDS.md): lr 2e-4, batch size 4, gradient accumulation 1, cosine schedule, warmup ratio
 * 0.03, max grad norm 1.0, weight decay 0, gradient checkpointing on, seed 42. Immutable; change
 * it with {@link #toBuilder()}.
 *
 * <p>The schedule spreads over {@code steps} optimizer steps, or {@code epochs} passes over the
 * data when steps is 0; with neither, over the steps of the first {@code train(n)} call.
 */
public final class TrainerConfig {

    private final long steps;
    private final double epochs;
    private final double lr;
    private final int batchSize;
    private final int gradientAccumulation;
    private final Scheduler scheduler;
    private final double warmupRatio;
    private final int warmupSteps;
    private final double maxGradNorm;
    private final double weightDecay;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final boolean gradientCheckpointing;
    private final long seed;
    private final boolean shuffle;
    private final long evalEvery;
    private final long saveEvery;
    private final int saveTotalLimit;
    private final Path outputDir;
    private final NonFinitePolicy nonFinite;
    private final double dpoBeta;
    private final long padTokenId;

    private TrainerConfig(Builder b) {
        this.steps = b.steps;
        this.epochs = b.epochs;
        this.lr = b.lr;
        this.batchSize = b.batchSize;
        this.gradientAccumulation = b.gradientAccumulation;
        this.scheduler = b.scheduler;
        this.warmupRatio = b.warmupRatio;
        this.warmupSteps = b.warmupSteps;
        this.maxGradNorm = b.maxGradNorm;
        this.weightDecay = b.weightDecay;
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.gradientCheckpointing = b.gradientCheckpointing;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.evalEvery = b.evalEvery;
        this.saveEvery = b.saveEvery;
        this.saveTotalLimit = b.saveTotalLimit;
        this.outputDir = b.outputDir;
        this.nonFinite = b.nonFinite;
        this.dpoBeta = b.dpoBeta;
        this.padTokenId = b.padTokenId;
    }

    /** All defaults. */
    public static TrainerConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.epochs = epochs;
        b.lr = lr;
        b.batchSize = batchSize;
        b.gradientAccumulation = gradientAccumulation;
        b.scheduler = scheduler;
        b.warmupRatio = warmupRatio;
        b.warmupSteps = warmupSteps;
        b.maxGradNorm = maxGradNorm;
        b.weightDecay = weightDecay;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.eps = eps;
        b.gradientCheckpointing = gradientCheckpointing;
        b.seed = seed;
        b.shuffle = shuffle;
        b.evalEvery = evalEvery;
        b.saveEvery = saveEvery;
        b.saveTotalLimit = saveTotalLimit;
        b.outputDir = outputDir;
        b.nonFinite = nonFinite;
        b.dpoBeta = dpoBeta;
        b.padTokenId = padTokenId;
        return b;
    }

    /** Total optimizer steps ({@code --steps}); 0 when unset. */
    public long steps() {
        return steps;
    }

    /** Passes over the data ({@code --epochs}); 0 when unset. */
    public double epochs() {
        return epochs;
    }

    /** Peak learning rate ({@code --lr}, 2e-4). */
    public double lr() {
        return lr;
    }

    /** Examples per micro-batch ({@code --batch-size}, 4). */
    public int batchSize() {
        return batchSize;
    }

    /** Micro-batches per optimizer step ({@code --gradient-accumulation}, 1). */
    public int gradientAccumulation() {
        return gradientAccumulation;
    }

    /** {@code --scheduler} (cosine). */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** {@code --warmup-ratio} (0.03). */
    public double warmupRatio() {
        return warmupRatio;
    }

    /** Warmup steps overriding the ratio; -1 when the ratio decides. */
    public int warmupSteps() {
        return warmupSteps;
    }

    /** {@code --max-grad-norm} (1.0); 0 or less: no clipping. */
    public double maxGradNorm() {
        return maxGradNorm;
    }

    /** {@code --weight-decay} (0.0), decoupled (AdamW). */
    public double weightDecay() {
        return weightDecay;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double eps() {
        return eps;
    }

    /** {@code --gradient-checkpointing} (true): keep only layer inputs, recompute layers in the backward pass. */
    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /** {@code --seed} (42): data order and dropout. */
    public long seed() {
        return seed;
    }

    /** Shuffle the examples every epoch (true). */
    public boolean shuffle() {
        return shuffle;
    }

    /** {@code --eval-every} N steps; 0: only at the end of a train call (when there is an eval set). */
    public long evalEvery() {
        return evalEvery;
    }

    /** {@code --save-every} N steps, a checkpoint in {@link #outputDir()}; 0: none. */
    public long saveEvery() {
        return saveEvery;
    }

    /** Checkpoints kept (oldest removed first); 0 keeps all. */
    public int saveTotalLimit() {
        return saveTotalLimit;
    }

    /** Where checkpoints go ({@code --output-folder}); null for none. */
    public Path outputDir() {
        return outputDir;
    }

    public NonFinitePolicy nonFinite() {
        return nonFinite;
    }

    /** {@code --dpo-beta} (0.1). */
    public double dpoBeta() {
        return dpoBeta;
    }

    /** Id written into padded positions (never attended to nor trained; 0). */
    public long padTokenId() {
        return padTokenId;
    }

    @Override
    public String toString() {
        return "TrainerConfig{steps=" + steps + ", epochs=" + epochs + ", lr=" + lr + ", batchSize=" + batchSize
                + ", gradientAccumulation=" + gradientAccumulation + ", scheduler=" + scheduler.name().toLowerCase()
                + ", warmupRatio=" + warmupRatio + ", warmupSteps=" + warmupSteps + ", maxGradNorm=" + maxGradNorm
                + ", weightDecay=" + weightDecay + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps
                + ", gradientCheckpointing=" + gradientCheckpointing + ", seed=" + seed + ", evalEvery=" + evalEvery
                + ", saveEvery=" + saveEvery + ", outputDir=" + outputDir + ", nonFinite=" + nonFinite
                + ", dpoBeta=" + dpoBeta + "}";
    }

    /** Builds a {@link TrainerConfig}; every setter checks its value and names the option when it is bad. */
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
            require(n >= 0, "--steps must be >= 0, got " + n);
            this.steps = n;
            return this;
        }

        public Builder epochs(double e) {
            require(e >= 0 && Double.isFinite(e), "--epochs must be >= 0, got " + e);
            this.epochs = e;
            return this;
        }

        public Builder lr(double v) {
            require(v >= 0 && Double.isFinite(v), "--lr must be >= 0, got " + v);
            this.lr = v;
            return this;
        }

        public Builder batchSize(int n) {
            require(n >= 1, "--batch-size must be >= 1, got " + n);
            this.batchSize = n;
            return this;
        }

        public Builder gradientAccumulation(int n) {
            require(n >= 1, "--gradient-accumulation must be >= 1, got " + n);
            this.gradientAccumulation = n;
            return this;
        }

        public Builder scheduler(Scheduler s) {
            this.scheduler = s;
            return this;
        }

        public Builder scheduler(String s) {
            try {
                return scheduler(Scheduler.parse(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--scheduler: " + e.getMessage(), e);
            }
        }

        public Builder warmupRatio(double r) {
            require(r >= 0 && r <= 1, "--warmup-ratio must be in [0, 1], got " + r);
            this.warmupRatio = r;
            return this;
        }

        /** Warmup steps, overriding the ratio; -1 to let the ratio decide. */
        public Builder warmupSteps(int n) {
            require(n >= -1, "--warmup-steps must be >= 0, got " + n);
            this.warmupSteps = n;
            return this;
        }

        public Builder maxGradNorm(double v) {
            require(!Double.isNaN(v), "--max-grad-norm must be a number");
            this.maxGradNorm = v;
            return this;
        }

        public Builder weightDecay(double v) {
            require(v >= 0 && Double.isFinite(v), "--weight-decay must be >= 0, got " + v);
            this.weightDecay = v;
            return this;
        }

        public Builder betas(double b1, double b2) {
            require(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1, "betas must be in [0, 1), got " + b1 + ", " + b2);
            this.beta1 = b1;
            this.beta2 = b2;
            return this;
        }

        public Builder eps(double v) {
            require(v >= 0, "eps must be >= 0, got " + v);
            this.eps = v;
            return this;
        }

        public Builder gradientCheckpointing(boolean on) {
            this.gradientCheckpointing = on;
            return this;
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
            require(n >= 0, "--eval-every must be >= 0, got " + n);
            this.evalEvery = n;
            return this;
        }

        public Builder saveEvery(long n) {
            require(n >= 0, "--save-every must be >= 0, got " + n);
            this.saveEvery = n;
            return this;
        }

        public Builder saveTotalLimit(int n) {
            require(n >= 0, "save total limit must be >= 0, got " + n);
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
            require(b > 0 && Double.isFinite(b), "--dpo-beta must be > 0, got " + b);
            this.dpoBeta = b;
            return this;
        }

        public Builder padTokenId(long id) {
            require(id >= 0, "pad token id must be >= 0, got " + id);
            this.padTokenId = id;
            return this;
        }

        public TrainerConfig build() {
            return new TrainerConfig(this);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
