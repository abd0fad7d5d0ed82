package io.jlora.model.generate;

import io.jlora.model.Decoder;
import io.jlora.model.KvCache;
import io.jlora.model.autograd.GradRecording;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Autoregressive generation for one prompt. With the cache, the prompt is run once and each new
 * token costs one position; without it, the whole sequence is recomputed each step (slower, kept
 * as the reference that tests compare the cache against).
 */
public final class Generator {

    private final Decoder decoder;
    private final Set<Long> eosIds;

    public Generator(Decoder decoder, Collection<Long> eosIds) {
        this.decoder = decoder;
        this.eosIds = new HashSet<>(eosIds);
    }

    public GenerationResult generate(long[] prompt, GenerationConfig config) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        long started = System.nanoTime();
        TokenSampler sampler = new TokenSampler(config);
        long[] sequence = Arrays.copyOf(prompt, prompt.length + config.maxNewTokens());
        int length = prompt.length;
        boolean stopped = false;
        KvCache cache = null;
        try (GradRecording.Scope inference = GradRecording.off();
                NDManager generation = decoder.manager().newSubManager()) {
            cache = config.useCache() ? new KvCache(generation, decoder.config().layers()) : null;
            for (int step = 0; step < config.maxNewTokens() && !stopped; step++) {
                if (cache != null && decoder.restartsCache(cache.length(), length)) {
                    // LongRoPE past the original context: recompute everything with the long factors
                    cache.close();
                    cache = new KvCache(generation, decoder.config().layers());
                }
                // with a cache, feed only what it has not seen yet (the whole prompt on step 0)
                int from = cache != null ? (int) cache.length() : 0;
                float[] logits = lastLogits(generation, Arrays.copyOfRange(sequence, from, length), cache);
                long next = sampler.next(logits);
                sequence[length++] = next;
                stopped = config.stopAtEos() && eosIds.contains(next);
            }
        } finally {
            if (cache != null) {
                cache.close();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return new GenerationResult(Arrays.copyOfRange(sequence, prompt.length, length), stopped, seconds);
    }

    private float[] lastLogits(NDManager generation, long[] ids, KvCache cache) {
        try (NDManager step = generation.newSubManager()) {
            NDArray input = step.create(ids).reshape(1, ids.length);
            NDArray logits = decoder.forward(input, cache, true);
            return logits.toType(DataType.FLOAT32, false).toFloatArray();
        }
    }
}
