/**
 * jlora's library. The packages, each building only on those listed before it:
 * {@link io.jlora.io} (safetensors files, atomic folders), {@link io.jlora.model} (config, the
 * decoder; {@code tokenizer}, {@code generate}, {@code autograd} below it), {@link io.jlora.quant}
 * (quantized bases), {@link io.jlora.data} (datasets, chat templates, tokenization),
 * {@link io.jlora.lora} (adapters, PEFT's files, merging), {@link io.jlora.train} (the trainer),
 * {@link io.jlora.hub} (pushing to the Hub). Failures a user can cause are
 * {@link io.jlora.JloraException}s; a config value out of range is an
 * {@link io.jlora.InvalidFieldException} naming the field; {@link io.jlora.EnumLabels} finds an
 * enum's constant by the text a file or option names it with.
 */
package io.jlora;
