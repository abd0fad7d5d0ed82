package io.jlora.magics.view;

/**
 * One training step as the notebook shows it.
 *
 * @param step 1-based step number
 * @param totalSteps steps planned in this run (0 when unknown)
 * @param loss training loss of the step
 * @param learningRate learning rate used by the step
 * @param evalLoss eval loss measured after the step, or NaN
 * @param tokensPerSecond training throughput of the step
 * @param residentBytes resident memory of the process after the step
 * @param elapsedSeconds time since the run started
 */
public record StepPoint(int step, int totalSteps, double loss, double learningRate, double evalLoss,
                        double tokensPerSecond, long residentBytes, double elapsedSeconds) {
}
