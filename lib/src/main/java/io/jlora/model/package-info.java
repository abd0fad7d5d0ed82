/**
 * The model: {@link io.jlora.model.ModelConfigReader} reads config.json into a
 * {@link io.jlora.model.ModelConfig}; {@link io.jlora.model.Decoder} is the one decoder of all
 * supported families, its projections {@link io.jlora.model.Linear}s that adapters can replace by
 * path; {@link io.jlora.model.CausalLm} ties a model folder together; {@link io.jlora.model.RandomModels}
 * writes seeded random models (tests, benchmarks, and the pretraining of models/tiny-austen start from them).
 * Subpackages: {@code tokenizer} (Hugging Face tokenizers), {@code generate} (generation and
 * scoring), {@code autograd} (the mechanics that keep training memory low: projection cuts,
 * gradient recording, early-freed intermediates, dropout masks, the vocabulary-chunked loss).
 */
package io.jlora.model;
