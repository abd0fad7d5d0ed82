package io.jlora.gpu.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall times of a {@link LoraStep}'s phases (forward, head+loss, recompute, backward, optimizer), summed
 * over the steps timed; each phase boundary synchronizes the device while a step is being timed.
 */
public final class PhaseTimes {

    final Map<String, Double> seconds = new LinkedHashMap<>();
    long last;

    public Map<String, Double> seconds() {
        return seconds;
    }
}
