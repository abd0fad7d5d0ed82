package io.jlora.train;

/**
 * Watches a {@link Trainer}: the notebook's live loss plot and progress bar hang here. Called on
 * the training thread, after each step, each evaluation and at the end of each {@code train} call;
 * keep the work small (a listener that throws stops the training with its exception).
 */
public interface TrainingListener {

    default void onStep(StepMetrics metrics) {}

    default void onEval(EvalMetrics metrics) {}

    default void onEnd(TrainingSummary summary) {}
}
