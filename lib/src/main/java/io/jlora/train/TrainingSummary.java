package io.jlora.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * The end of a {@link Trainer#train} call: what the {@code train} and {@code dpo} commands print
 * with {@code --json} ({@link #toJson()}).
 *
 * @param steps steps run by this call
 * @param totalSteps steps completed by the trainer overall
 * @param firstLoss loss of the call's first step (NaN when no step ran)
 * @param lastLoss loss of its last step
 * @param evalLoss loss of the last evaluation, or null when there is no eval set
 * @param tokensPerSecond steady-state throughput: tokens / time over the steps after the first
 *     (all steps when only one ran)
 * @param peakRssMb peak resident memory of the process, MiB
 * @param seconds wall time of the call
 * @param stopReason why it stopped
 * @param output the folder checkpoints went to, or null
 */
public record TrainingSummary(long steps, long totalSteps, double firstLoss, double lastLoss, Double evalLoss,
        double tokensPerSecond, double peakRssMb, double seconds, StopReason stopReason, Path output) {

    /** Why a training call ended. */
    public enum StopReason {
        /** ran the steps it was asked for */
        COMPLETED,
        /** {@link Trainer#cancel()} was called */
        CANCELLED,
        /** the thread was interrupted (a kernel interrupt); the interrupt flag is left set */
        INTERRUPTED,
        /** loss or gradients were not finite and the policy is to stop */
        NOT_FINITE
    }

    /** {"steps", "first_loss", "last_loss", "eval_loss", "tokens_per_s", "peak_rss_mb", "output", ...}. */
    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("steps", steps);
        number(o, "first_loss", firstLoss);
        number(o, "last_loss", lastLoss);
        if (evalLoss == null) {
            o.putNull("eval_loss");
        } else {
            number(o, "eval_loss", evalLoss);
        }
        number(o, "tokens_per_s", tokensPerSecond);
        number(o, "peak_rss_mb", peakRssMb);
        if (output == null) {
            o.putNull("output");
        } else {
            o.put("output", output.toString());
        }
        o.put("total_steps", totalSteps);
        o.put("seconds", seconds);
        o.put("stop_reason", stopReason.name().toLowerCase());
        return o;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }
}
