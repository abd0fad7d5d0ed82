package io.jlora.train;

/**
 * Watches a {@link Trainer}: the notebook's live loss plot and progress bar hang here. Called on
 * the training thread, with each step's gradients, after each step, each evaluation and at the end
 * of each {@code train} call;
 * keep the work small (a listener that throws stops the training with its exception).
 */
public interface TrainingListener {

    /**
     * A step's gradients by parameter name, before clipping and the update (also for a step that
     * will be skipped); the arrays are valid only during the call.
     */
    default void onGradients(long step, java.util.Map<String, ai.djl.ndarray.NDArray> gradients) {}

    default void onStep(StepMetrics metrics) {}

    default void onEval(EvalMetrics metrics) {}

    default void onEnd(TrainingSummary summary) {}
}
