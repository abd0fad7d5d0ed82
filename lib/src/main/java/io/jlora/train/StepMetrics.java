package io.jlora.train;

import java.util.Map;

/**
 * What one training step did, as listeners receive it after every step.
 *
 * @param step steps completed, this one included (1 for the first)
 * @param epoch epochs completed, fractional
 * @param loss the step's training loss (mean over the step's trained tokens; DPO: mean over pairs)
 * @param lr learning rate this step used
 * @param gradNorm total L2 norm of the gradients before clipping (NaN when not finite)
 * @param tokens input tokens of the step (padding excluded)
 * @param seconds wall time of the step
 * @param tokensPerSecond tokens / seconds
 * @param rssMb resident memory of the process after the step, MiB (-1 if unknown)
 * @param peakRssMb peak resident memory of the process so far, MiB (-1 if unknown)
 * @param tensorMb memory of the tensors the model's manager holds (weights, adapters, optimizer state), MiB
 * @param skipped true when the step was not applied (loss or gradients not finite)
 * @param note what went wrong when skipped (also logged), else null
 * @param extra objective-specific values (DPO: rewards/chosen, rewards/rejected, rewards/margins, rewards/accuracies)
 * @param phases seconds per part of the step ({@link StepPhases.Phase}, lower case), in running order
 */
public record StepMetrics(long step, double epoch, double loss, double lr, double gradNorm, long tokens, double seconds,
        double tokensPerSecond, double rssMb, double peakRssMb, double tensorMb, boolean skipped,
        String note, Map<String, Double> extra, Map<String, Double> phases) {

    public StepMetrics {
        extra = Map.copyOf(extra);
        phases = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phases));
    }

    @Override
    public String toString() {
        return String.format("step %d: loss %.4f, lr %.3g, grad norm %.4g, %.0f tokens/s, rss %.0f MiB%s", step, loss, lr,
                gradNorm, tokensPerSecond, rssMb, skipped ? " (" + note + ")" : "");
    }
}
