/**
 * Hugging Face tokenizers: {@link io.jlora.model.tokenizer.HfTokenizer} reads tokenizer.json and
 * tokenizer_config.json (special tokens, chat template) through the native tokenizers library,
 * guarded by {@link io.jlora.model.tokenizer.NativeTokenizerGuard} against inputs that abort it.
 */
package io.jlora.model.tokenizer;
