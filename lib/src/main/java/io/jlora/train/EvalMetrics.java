package io.jlora.train;

import java.util.Map;

/**
 * An evaluation over the held-out examples.
 *
 * @param step training steps completed when it ran
 * @param loss mean loss over the eval set's trained tokens (DPO: mean over pairs)
 * @param tokens trained tokens evaluated (DPO: pairs)
 * @param seconds wall time
 * @param extra objective-specific values (DPO: rewards/accuracies, rewards/margins)
 */
public record EvalMetrics(long step, double loss, long tokens, double seconds, Map<String, Double> extra) {

    public EvalMetrics {
        extra = Map.copyOf(extra);
    }

    @Override
    public String toString() {
        return String.format("eval at step %d: loss %.4f", step, loss);
    }
}
