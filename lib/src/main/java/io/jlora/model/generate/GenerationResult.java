package io.jlora.model.generate;

/**
 * New token ids (prompt excluded) and how fast they came.
 *
 * @param ids the generated ids, an end-of-sequence id included when generation stopped on it
 * @param stoppedAtEos whether an end-of-sequence id ended generation
 * @param seconds wall time of the whole generation, prompt processing included
 */
public record GenerationResult(long[] ids, boolean stoppedAtEos, double seconds) {

    public double tokensPerSecond() {
        return seconds > 0 ? ids.length / seconds : 0;
    }
}
