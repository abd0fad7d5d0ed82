/**
 * Inference: {@link io.jlora.model.generate.Generator} (KV-cache generation: greedy, temperature,
 * top-k, top-p, seed, EOS) and {@link io.jlora.model.generate.Scorer} (mean token loss of texts).
 */
package io.jlora.model.generate;
