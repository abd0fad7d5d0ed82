/**
 * LoRA adapters after Hugging Face PEFT ({@code peft.tuners.lora}), in three concerns as PEFT cuts
 * them:
 * <ul>
 *   <li>what the user asks: {@link io.jlora.lora.LoraConfig} (PEFT's fields, jlora's defaults),
 *       {@link io.jlora.lora.TargetModules} and {@link io.jlora.lora.TargetMatcher} (all-linear,
 *       suffix names, full-match regex, layers_to_transform; rank/alpha patterns);
 *   <li>the math of one adapted layer: {@link io.jlora.lora.LoraLinear} wrapping the base
 *       {@link io.jlora.model.Linear} with one {@link io.jlora.lora.LoraBranch} per adapter, and
 *       {@link io.jlora.lora.DoraBranch} beside it (PEFT's dora.py);
 *   <li>wiring adapters into a model and files: {@link io.jlora.lora.Adapters} (PEFT's PeftModel:
 *       the registry of a model's adapters, attach, load, save, use, disable, merge, unmerge, delete,
 *       unload, combine, save merged) over {@code AdaptedLayers} (the decoder slots, the dense-base
 *       check), {@code BranchFactory} (initial weights, PiSSA); {@code AdapterFiles} (PEFT's
 *       save_and_load: state dict, save, load) with {@link io.jlora.lora.AdapterConfigJson} and
 *       {@link io.jlora.lora.AdapterCheckpoint} (adapter_config.json, the weights file);
 *       {@code ModelWriter} (a model as a Hugging Face folder, the merged save's writer);
 *       {@link io.jlora.lora.MergeTool} (streaming merge of folders) and
 *       {@link io.jlora.lora.KohyaConverter}.
 * </ul>
 *
 * <p>Where jlora departs from PEFT 0.21, on purpose: {@code layers_to_transform} filters
 * {@code all-linear} too (PEFT's expansion to full paths bypasses its own filter); removing a
 * PiSSA adapter restores the original base weight; a weighted combination gets scale 1 without
 * rsLoRA (PEFT keeps the first adapter's use_rslora, which would rescale it); combining DoRA
 * adapters is refused. Only safetensors adapter files are read.
 */
package io.jlora.lora;
