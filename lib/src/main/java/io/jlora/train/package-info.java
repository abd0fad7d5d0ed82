/**
 * Training: {@link io.jlora.train.Trainer} (supervised fine-tuning and DPO) over the named
 * trainable arrays of a {@link io.jlora.train.TrainableModel} (a LoRA adapter through {@link
 * io.jlora.train.LoraTraining}), with torch's AdamW, transformers' schedules, clip_grad_norm_,
 * gradient accumulation, layer-wise gradient checkpointing, a NaN/Inf guard, checkpoints that
 * resume exactly, listeners for live plots, and cancel/interrupt.
 *
 * <p>The map: {@link io.jlora.train.TrainerConfig} (every option and its default); the trainer's
 * step loop in {@code Trainer}, what differs per objective in {@code Task} ({@code SftTask},
 * {@code DpoTask} with {@code DpoLoss}); the arithmetic in {@code Backprop} (forward/backward,
 * checkpointing), {@code AdamW}, {@code GradientClipping}, {@link io.jlora.train.LrSchedule};
 * data order in {@code DataOrder}; checkpoint folders in {@code Checkpoint}, their
 * trainer_state.json as a {@code TrainerState}; what trains in {@link io.jlora.train.LoraTraining}
 * and {@link io.jlora.train.FullTraining}; memory figures in {@code MemoryStats} and
 * {@link io.jlora.train.MemoryProbe}.
 */
package io.jlora.train;
