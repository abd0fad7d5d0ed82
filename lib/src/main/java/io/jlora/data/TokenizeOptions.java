package io.jlora.data;

/**
 * How records become token sequences.
 *
 * @param maxSeqLength sequences are cut to this many tokens (the end goes), as TRL's max_length
 * @param maxPromptLength DPO prompts keep at most their last this many tokens
 * @param completionOnlyLoss prompt/completion data: loss on the completion only (TRL's
 *     completion_only_loss, on by default there too); false trains the prompt as well
 * @param assistantOnlyLoss conversations: loss on the assistant turns only (TRL's
 *     assistant_only_loss); on by default here (TRL: off) because training a chat model on its
 *     users' words is rarely wanted. A template whose turns cannot be found trains every token,
 *     with one warning
 * @param packing pack examples into rows of max-seq-length by best-fit decreasing (TRL's "bfd"),
 *     trained padding-free: each example keeps its own positions and attention
 * @param addEos append the EOS token to texts and completions that do not end with it (TRL does)
 * @param evalSplit fraction of records held out for evaluation (0 for none), chosen at random
 * @param seed seed of that random choice
 * @param chat what chat templates are rendered with besides the messages: tools (a row's own
 *     {@code tools} column wins), documents and extra variables such as {@code enable_thinking}
 */
public record TokenizeOptions(int maxSeqLength, int maxPromptLength, boolean completionOnlyLoss,
        boolean assistantOnlyLoss, boolean packing, boolean addEos, double evalSplit, long seed, RenderOptions chat) {

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

    /** Without tools, documents or template variables. */
    public TokenizeOptions(int maxSeqLength, int maxPromptLength, boolean completionOnlyLoss,
            boolean assistantOnlyLoss, boolean packing, boolean addEos, double evalSplit, long seed) {
        this(maxSeqLength, maxPromptLength, completionOnlyLoss, assistantOnlyLoss, packing, addEos, evalSplit, seed,
                RenderOptions.defaults());
    }

    /**
     * max-seq-length 512, max-prompt-length 128, completion-only and assistant-only loss, no
     * packing, EOS added, no eval split, seed 42, no tools or template variables.
     */
    public static TokenizeOptions defaults() {
        return builder().build();
    }

    /** A builder holding {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        return builder().maxSeqLength(maxSeqLength).maxPromptLength(maxPromptLength)
                .completionOnlyLoss(completionOnlyLoss).assistantOnlyLoss(assistantOnlyLoss).packing(packing)
                .addEos(addEos).evalSplit(evalSplit).seed(seed).chat(chat);
    }

    public TokenizeOptions withMaxSeqLength(int n) {
        return toBuilder().maxSeqLength(n).build();
    }

    public TokenizeOptions withMaxPromptLength(int n) {
        return toBuilder().maxPromptLength(n).build();
    }

    public TokenizeOptions withCompletionOnlyLoss(boolean on) {
        return toBuilder().completionOnlyLoss(on).build();
    }

    public TokenizeOptions withAssistantOnlyLoss(boolean on) {
        return toBuilder().assistantOnlyLoss(on).build();
    }

    public TokenizeOptions withPacking(boolean on) {
        return toBuilder().packing(on).build();
    }

    public TokenizeOptions withAddEos(boolean on) {
        return toBuilder().addEos(on).build();
    }

    public TokenizeOptions withEvalSplit(double fraction) {
        return toBuilder().evalSplit(fraction).build();
    }

    public TokenizeOptions withSeed(long s) {
        return toBuilder().seed(s).build();
    }

    /** Tools, documents and template variables for chat rows (its generation-prompt flag is not used). */
    public TokenizeOptions withChat(RenderOptions options) {
        return toBuilder().chat(options).build();
    }

    /** Mutable builder; its field initialisers are the defaults; every setter returns this. */
    public static final class Builder {
        private int maxSeqLength = 512;
        private int maxPromptLength = 128;
        private boolean completionOnlyLoss = true;
        private boolean assistantOnlyLoss = true;
        private boolean packing;
        private boolean addEos = true;
        private double evalSplit;
        private long seed = 42;
        private RenderOptions chat = RenderOptions.defaults();

        private Builder() {}

        public Builder maxSeqLength(int n) {
            this.maxSeqLength = n;
            return this;
        }

        public Builder maxPromptLength(int n) {
            this.maxPromptLength = n;
            return this;
        }

        public Builder completionOnlyLoss(boolean on) {
            this.completionOnlyLoss = on;
            return this;
        }

        public Builder assistantOnlyLoss(boolean on) {
            this.assistantOnlyLoss = on;
            return this;
        }

        public Builder packing(boolean on) {
            this.packing = on;
            return this;
        }

        public Builder addEos(boolean on) {
            this.addEos = on;
            return this;
        }

        public Builder evalSplit(double fraction) {
            this.evalSplit = fraction;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder chat(RenderOptions options) {
            this.chat = options;
            return this;
        }

        /** The options; throws {@link IllegalArgumentException} naming the first bad value. */
        public TokenizeOptions build() {
            return new TokenizeOptions(maxSeqLength, maxPromptLength, completionOnlyLoss, assistantOnlyLoss, packing, addEos,
                    evalSplit, seed, chat);
        }
    }
}
