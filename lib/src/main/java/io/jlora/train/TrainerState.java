package io.jlora.train;

import java.util.List;

/**
 * What a checkpoint's {@code trainer_state.json} holds besides the arrays: where the run is
 * (steps, data position), what it runs (objective, number of examples, the whole config) and the
 * schedule it follows, plus the log history. {@link Checkpoint} owns its JSON form
 * ({@link Checkpoint#toJson}, {@link Checkpoint#fromJson}); the keys are transformers' where it has one.
 *
 * @param globalStep optimizer steps completed, skipped ones included
 * @param optimizerStep AdamW updates applied (its bias correction)
 * @param plannedSteps the steps the schedule spreads over; -1 in checkpoints written before it was stored
 * @param epoch and {@code dataOffset}: the data order's position
 * @param seed the run's seed (data order and dropout follow from it and the step)
 * @param objective {@code sft} or {@code dpo}; null in checkpoints written before it was stored
 * @param trainExamples the number of training examples (checked on resume)
 * @param schedule the learning-rate schedule, or null before the first step
 * @param config the whole config; null in checkpoints written before it was stored
 * @param logHistory loss, learning rate and gradient norm of each step so far
 */
public record TrainerState(long globalStep, long optimizerStep, long plannedSteps, int epoch, int dataOffset, long seed,
        String objective, int trainExamples, LrSchedule schedule, TrainerConfig config, List<Logged> logHistory) {

    /** One entry of the log history. */
    public record Logged(long step, double loss, double lr, double gradNorm) {}

    /**
     * Refuses, in one line naming {@code checkpoint}, to resume a run of another objective or over
     * another number of training examples (either trainer, CPU or GPU, resumes the other's checkpoints).
     */
    public void checkResumable(java.nio.file.Path checkpoint, String runObjective, int runExamples) {
        if (objective != null && !objective.equals(runObjective)) {
            throw new io.jlora.JloraException(checkpoint + " is a " + objective + " checkpoint; this trainer runs "
                    + runObjective);
        }
        if (trainExamples != runExamples) {
            throw new io.jlora.JloraException(checkpoint + " was written training on " + trainExamples
                    + " examples; this trainer has " + runExamples);
        }
    }
}
