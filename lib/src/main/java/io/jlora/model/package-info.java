/**
 * The model: {@link io.jlora.model.ModelConfigReader} reads config.json into a
 * {@link io.jlora.model.ModelConfig}; {@link io.jlora.model.Decoder} is the one decoder of all
 * supported families (llama, mistral, qwen2, qwen3), its projections {@link io.jlora.model.Linear}s
 * that adapters can replace by path; {@link io.jlora.model.Generator} and
 * {@link io.jlora.model.Scorer} generate and score; {@link io.jlora.model.CausalLm} ties a model
 * folder together; {@link io.jlora.model.RandomModels} writes random models for tests and benchmarks.
 */
package io.jlora.model;
