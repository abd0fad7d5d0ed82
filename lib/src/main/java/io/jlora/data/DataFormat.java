package io.jlora.data;

import java.util.List;
import java.util.Set;

/**
 * How the records of a dataset become training examples, and which columns they read:
 *
 * <ul>
 *   <li>{@link Kind#TEXT}: one text column, every token trained (plain language modelling);
 *   <li>{@link Kind#PROMPT_COMPLETION}: the loss covers the completion only (TRL's default);
 *   <li>{@link Kind#MESSAGES}: a list of {@code {"role", "content"}} messages rendered with the
 *       tokenizer's chat template; the loss covers the assistant turns;
 *   <li>{@link Kind#PREFERENCE}: prompt, chosen and rejected completions for DPO.
 * </ul>
 *
 * Prompt, completion, chosen and rejected values may be strings or, conversationally, message
 * lists (rendered with the chat template, as TRL does). {@link #auto()} picks the kind from the
 * columns of the first record: messages, then prompt/chosen/rejected, then prompt/completion, then
 * text.
 */
public record DataFormat(Kind kind, List<String> columns) {

    public enum Kind { AUTO, TEXT, PROMPT_COMPLETION, MESSAGES, PREFERENCE }

    public static final String TEXT = "text";
    public static final String PROMPT = "prompt";
    public static final String COMPLETION = "completion";
    public static final String MESSAGES = "messages";
    public static final String CHOSEN = "chosen";
    public static final String REJECTED = "rejected";

    public DataFormat {
        columns = List.copyOf(columns);
    }

    /** Picks the kind from the first record's columns, with the default column names. */
    public static DataFormat auto() {
        return new DataFormat(Kind.AUTO, List.of());
    }

    public static DataFormat text(String column) {
        return new DataFormat(Kind.TEXT, List.of(column));
    }

    public static DataFormat promptCompletion(String prompt, String completion) {
        return new DataFormat(Kind.PROMPT_COMPLETION, List.of(prompt, completion));
    }

    public static DataFormat messages(String column) {
        return new DataFormat(Kind.MESSAGES, List.of(column));
    }

    public static DataFormat preference(String prompt, String chosen, String rejected) {
        return new DataFormat(Kind.PREFERENCE, List.of(prompt, chosen, rejected));
    }

    /** The default format for records with these columns, or null when none fits. */
    public static DataFormat detect(Set<String> columns) {
        if (columns.contains(MESSAGES)) {
            return messages(MESSAGES);
        }
        if (columns.contains(PROMPT) && columns.contains(CHOSEN) && columns.contains(REJECTED)) {
            return preference(PROMPT, CHOSEN, REJECTED);
        }
        if (columns.contains(PROMPT) && columns.contains(COMPLETION)) {
            return promptCompletion(PROMPT, COMPLETION);
        }
        if (columns.contains(TEXT)) {
            return text(TEXT);
        }
        return null;
    }

    /** For DPO. */
    public boolean isPreference() {
        return kind == Kind.PREFERENCE;
    }

    @Override
    public String toString() {
        return kind == Kind.AUTO ? "auto" : kind.name().toLowerCase() + columns;
    }
}
