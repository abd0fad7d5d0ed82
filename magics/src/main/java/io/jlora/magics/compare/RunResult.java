package io.jlora.magics.compare;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one configuration of a comparison gave.
 *
 * @param trainableParameters values the optimizer updates (LoRA A/B, or every weight)
 * @param peakRssMb the process's peak resident memory during the run (load, train, save), MiB
 * @param tokensPerSecond steady-state training throughput (first step excluded, as train reports it)
 * @param outputBytes what saving the result writes: the PEFT adapter, or the whole model
 * @param losses training loss of every step
 */
public record RunResult(RunSpec spec, long trainableParameters, double firstLoss, double lastLoss, Double evalLoss,
                        double peakRssMb, double tokensPerSecond, long outputBytes, double seconds, List<Double> losses) {

    public Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("name", spec.label());
        j.put("peft", spec.peft());
        j.put("lora_r", spec.peft() ? spec.r() : null);
        j.put("quantization", spec.quantization());
        j.put("steps", losses.size());
        j.put("first_loss", firstLoss);
        j.put("last_loss", lastLoss);
        j.put("eval_loss", evalLoss);
        j.put("trainable_parameters", trainableParameters);
        j.put("peak_rss_mb", peakRssMb);
        j.put("tokens_per_s", tokensPerSecond);
        j.put("output_mb", outputBytes / (1024.0 * 1024.0));
        j.put("seconds", seconds);
        j.put("losses", losses);
        return j;
    }
}
