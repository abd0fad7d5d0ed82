package io.jlora.model.generate;

/**
 * How to pick new tokens, with transformers' meanings: temperature 0 is greedy; otherwise sample
 * after scaling by 1/temperature, keeping the topK most likely (0: all), then the smallest set whose
 * probability reaches topP (1: all). A seed makes sampling repeatable.
 *
 * @param maxNewTokens tokens to add at most
 * @param temperature 0 for greedy
 * @param topK 0 for no top-k filter
 * @param topP 1 for no nucleus filter
 * @param seed null for a random seed
 * @param stopAtEos stop after emitting an end-of-sequence id (which is kept in the output)
 * @param useCache reuse keys/values of earlier tokens; false recomputes the whole prefix each step
 */
public record GenerationConfig(int maxNewTokens, double temperature, int topK, double topP, Long seed,
        boolean stopAtEos, boolean useCache) {

    public GenerationConfig {
        if (maxNewTokens < 0 || temperature < 0 || topK < 0 || topP <= 0 || topP > 1) {
            throw new IllegalArgumentException("bad generation settings: " + this);
        }
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0, 0, 1.0, null, true, true);
    }

    public static GenerationConfig sampling(int maxNewTokens, double temperature, int topK, double topP, Long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, true, true);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public GenerationConfig withCache(boolean use) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stopAtEos, use);
    }

    public GenerationConfig withStopAtEos(boolean stop) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stop, useCache);
    }
}
