/**
 * Training: {@link io.jlora.train.Trainer} (supervised fine-tuning and DPO) over the named
 * trainable arrays of a {@link io.jlora.train.TrainableModel} (a LoRA adapter through {@link
 * io.jlora.train.LoraTraining}), with torch's AdamW, transformers' schedules, clip_grad_norm_,
 * gradient accumulation, layer-wise gradient checkpointing, a NaN/Inf guard, checkpoints that
 * resume exactly, listeners for live plots, and cancel/interrupt.
 */
package io.jlora.train;
