package io.jlora.train;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where one training step's wall time went, phase by phase (libtorch's CPU ops run synchronously,
 * so the wall time between two points is the work between them). The benches print it beside the
 * same phases of the peer; a step reports it in {@link StepMetrics#phases()}.
 */
public final class StepPhases {

    /** The parts of a step, in the order they run. */
    public enum Phase {
        /** collating the micro-batches (tokens to padded arrays) */
        DATA,
        /** the layers' forward pass (recording off under checkpointing, on without) */
        FORWARD,
        /** final norm, output head and loss, forward and backward */
        HEAD,
        /** the layers' forward pass again, recording on, under checkpointing */
        RECOMPUTE,
        /** the layers' backward pass (and the gradients across projection cuts) */
        BACKWARD,
        /** gradient norm, clipping, AdamW and zeroing the gradients */
        OPTIMIZER
    }

    private final EnumMap<Phase, Long> nanos = new EnumMap<>(Phase.class);
    private Phase running;
    private long since;

    /** Ends the running phase (if any) and starts {@code phase}. */
    void start(Phase phase) {
        long now = System.nanoTime();
        stopAt(now);
        running = phase;
        since = now;
    }

    /** Ends the running phase. */
    void stop() {
        stopAt(System.nanoTime());
    }

    private void stopAt(long now) {
        if (running != null) {
            nanos.merge(running, now - since, Long::sum);
            running = null;
        }
    }

    /** Seconds per phase that ran, in running order (phase name in lower case). */
    public Map<String, Double> seconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((phase, n) -> out.put(phase.name().toLowerCase(java.util.Locale.ROOT), n / 1e9));
        return out;
    }
}
