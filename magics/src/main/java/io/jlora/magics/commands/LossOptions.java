package io.jlora.magics.commands;

import io.jlora.data.TokenizeOptions;
import picocli.CommandLine.Option;

/**
 * Which tokens carry the loss and how examples are batched ({@code data}, {@code train}): unset
 * options keep what {@link TokenizeOptions#defaults()} (or an earlier {@code data}) chose.
 */
final class LossOptions {

    @Option(names = "--completion-only-loss", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "prompt/completion data: loss on the completion only (default: true, as TRL); false trains the prompt too")
    Boolean completionOnly;

    @Option(names = "--assistant-only-loss", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "chat (messages) data: loss on the assistant turns only, found in the conversation rendered once"
                    + " (default: true; TRL's default is false); a template whose turns cannot be found trains every token,"
                    + " with a warning; false trains every token")
    Boolean assistantOnly;

    @Option(names = "--packing", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "pack examples into rows of max-seq-length (best-fit decreasing, as TRL's 'bfd') and train them"
                    + " padding-free, each example with its own positions and attention (default: false)")
    Boolean packing;

    /** {@code options} with the values given here. */
    TokenizeOptions apply(TokenizeOptions options) {
        TokenizeOptions o = options;
        if (completionOnly != null) o = o.withCompletionOnlyLoss(completionOnly);
        if (assistantOnly != null) o = o.withAssistantOnlyLoss(assistantOnly);
        if (packing != null) o = o.withPacking(packing);
        return o;
    }
}
