/**
 * Datasets: JSON Lines, JSON arrays and CSV (through Tablesaw) into {@link io.jlora.data.Dataset}
 * (viewable as a Tablesaw table), in text, prompt/completion, chat-messages (rendered with the
 * tokenizer's chat template by a Jinja subset, {@link io.jlora.data.ChatTemplate}) or preference
 * (DPO) format, tokenized as TRL does into {@link io.jlora.data.Example}s and {@link
 * io.jlora.data.PreferenceExample}s with a seeded eval split. Bad input fails with the file, line
 * and column named ({@link io.jlora.data.DataException}).
 */
package io.jlora.data;
