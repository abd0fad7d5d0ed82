package io.jlora.train;

/**
 * Learning-rate schedules with linear warmup, as transformers' {@code get_constant_schedule_with_warmup},
 * {@code get_linear_schedule_with_warmup} and {@code get_cosine_schedule_with_warmup} (half a cosine)
 * define them through LambdaLR: the k-th optimizer step (0-based) uses {@code lr * lambda(k)}, so with
 * warmup the first step's rate is 0.
 *
 * @param warmupSteps {@code ceil(warmup_ratio * total)} as transformers' TrainingArguments computes it
 * @param totalSteps optimizer steps of the whole run (what the decay is spread over)
 */
public record LrSchedule(Scheduler type, double lr, int warmupSteps, int totalSteps) {

    /** The schedule types of {@code --scheduler}. */
    public enum Scheduler {
        CONSTANT, LINEAR, COSINE;

        /** Parses constant, linear, cosine (case-insensitive). */
        public static Scheduler parse(String s) {
            for (Scheduler t : values()) {
                if (t.name().equalsIgnoreCase(s.trim())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("scheduler must be constant, linear or cosine, not '" + s + "'");
        }
    }

    /**
     * The schedule of {@code config} over {@code plannedSteps}: its warmup steps, or its warmup
     * ratio of the planned steps.
     */
    public static LrSchedule of(TrainerConfig config, long plannedSteps) {
        int total = (int) Math.min(Integer.MAX_VALUE, plannedSteps);
        int warmup = config.warmupSteps() >= 0 ? config.warmupSteps() : warmupSteps(config.warmupRatio(), total);
        return new LrSchedule(config.scheduler(), config.lr(), warmup, total);
    }

    /** transformers' get_warmup_steps: ceil(total * ratio). */
    public static int warmupSteps(double ratio, int totalSteps) {
        return (int) Math.ceil(totalSteps * ratio);
    }

    /** The multiplier for the optimizer step that follows {@code step} completed ones. */
    public double factor(long step) {
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        switch (type) {
            case CONSTANT:
                return 1.0;
            case LINEAR:
                return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            default: {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        }
    }

    /** The learning rate of the optimizer step that follows {@code step} completed ones. */
    public double at(long step) {
        return lr * factor(step);
    }
}
