package io.jlora.data;

/**
 * How records become token sequences.
 *
 * @param maxSeqLength sequences are cut to this many tokens (the end goes), as TRL's max_length
 * @param maxPromptLength DPO prompts keep at most their last this many tokens
 * @param completionOnlyLoss loss on completions (prompt/completion) and assistant turns (messages)
 *     only; false trains every token
 * @param addEos append the EOS token to texts and completions that do not end with it (TRL does)
 * @param evalSplit fraction of records held out for evaluation (0 for none), chosen at random
 * @param seed seed of that random choice
 * @param chat what chat templates are rendered with besides the messages: tools (a row's own
 *     {@code tools} column wins), documents and extra variables such as {@code enable_thinking}
 */
public record TokenizeOptions(int maxSeqLength, int maxPromptLength, boolean completionOnlyLoss, boolean addEos,
        double evalSplit, long seed, RenderOptions chat) {

    public TokenizeOptions {
        if (maxSeqLength < 2) {
            throw new IllegalArgumentException("max-seq-length must be at least 2, got " + maxSeqLength);
        }
        if (maxPromptLength < 1) {
            throw new IllegalArgumentException("max-prompt-length must be at least 1, got " + maxPromptLength);
        }
        if (!(evalSplit >= 0 && evalSplit < 1)) {
            throw new IllegalArgumentException("eval-split must be in [0, 1), got " + evalSplit);
        }
        chat = chat == null ? RenderOptions.defaults() : chat;
    }

    /** The earlier constructor: no tools, documents or template variables. */
    public TokenizeOptions(int maxSeqLength, int maxPromptLength, boolean completionOnlyLoss, boolean addEos,
            double evalSplit, long seed) {
        this(maxSeqLength, maxPromptLength, completionOnlyLoss, addEos, evalSplit, seed, RenderOptions.defaults());
    }

    /** max-seq-length 512, max-prompt-length 128, completion-only loss, EOS added, no eval split, seed 42. */
    public static TokenizeOptions defaults() {
        return new TokenizeOptions(512, 128, true, true, 0.0, 42);
    }

    public TokenizeOptions withMaxSeqLength(int n) {
        return new TokenizeOptions(n, maxPromptLength, completionOnlyLoss, addEos, evalSplit, seed, chat);
    }

    public TokenizeOptions withMaxPromptLength(int n) {
        return new TokenizeOptions(maxSeqLength, n, completionOnlyLoss, addEos, evalSplit, seed, chat);
    }

    public TokenizeOptions withCompletionOnlyLoss(boolean on) {
        return new TokenizeOptions(maxSeqLength, maxPromptLength, on, addEos, evalSplit, seed, chat);
    }

    public TokenizeOptions withAddEos(boolean on) {
        return new TokenizeOptions(maxSeqLength, maxPromptLength, completionOnlyLoss, on, evalSplit, seed, chat);
    }

    public TokenizeOptions withEvalSplit(double fraction) {
        return new TokenizeOptions(maxSeqLength, maxPromptLength, completionOnlyLoss, addEos, fraction, seed, chat);
    }

    public TokenizeOptions withSeed(long s) {
        return new TokenizeOptions(maxSeqLength, maxPromptLength, completionOnlyLoss, addEos, evalSplit, s, chat);
    }

    /** Tools, documents and template variables for chat rows (its generation-prompt flag is not used). */
    public TokenizeOptions withChat(RenderOptions options) {
        return new TokenizeOptions(maxSeqLength, maxPromptLength, completionOnlyLoss, addEos, evalSplit, seed, options);
    }
}
