package io.jlora.magics.commands;

import io.jlora.data.DataFormat;
import picocli.CommandLine.Option;

/**
 * Which columns of a dataset file hold what, the same on {@code data} and on the one-shot
 * {@code train}, {@code dpo} and {@code compare}: plain text, prompt/completion, chat messages or
 * preference pairs. None given: detected from the file's columns.
 */
final class DataColumns {
    @Option(names = "--text-column", paramLabel = "NAME", description = "a plain text column (default when the file has 'text')")
    String textColumn;

    @Option(names = "--prompt-column", paramLabel = "NAME", description = "prompt column, with --completion-column (SFT) or --chosen-column (DPO)")
    String promptColumn;

    @Option(names = "--completion-column", paramLabel = "NAME", description = "completion column; only the completion's tokens are trained")
    String completionColumn;

    @Option(names = "--messages-column", paramLabel = "NAME", description = "chat messages, rendered with the tokenizer's chat template")
    String messagesColumn;

    @Option(names = "--chosen-column", paramLabel = "NAME", description = "DPO: the preferred answer, with --prompt-column and --rejected-column")
    String chosenColumn;

    @Option(names = "--rejected-column", paramLabel = "NAME", description = "DPO: the answer not preferred")
    String rejectedColumn;

    /** The format these options name; auto-detection when none is given. */
    DataFormat format() {
        if (messagesColumn != null) return DataFormat.messages(messagesColumn);
        if (chosenColumn != null || rejectedColumn != null) {
            return DataFormat.preference(orDefault(promptColumn, DataFormat.PROMPT), orDefault(chosenColumn, DataFormat.CHOSEN),
                    orDefault(rejectedColumn, DataFormat.REJECTED));
        }
        if (promptColumn != null || completionColumn != null) {
            return DataFormat.promptCompletion(orDefault(promptColumn, DataFormat.PROMPT), orDefault(completionColumn, DataFormat.COMPLETION));
        }
        if (textColumn != null) return DataFormat.text(textColumn);
        return DataFormat.auto();
    }

    private static String orDefault(String value, String fallback) {
        return value != null ? value : fallback;
    }
}
