package io.jlora.data;

/**
 * One record as training sees it: the text it renders to (the chat template's output for
 * conversations; the tokenizer's own special tokens and an appended EOS are in the ids only), its
 * ids cut to max-seq-length, and labels (the id where the token carries loss, -100 elsewhere).
 *
 * @param line the record's line in its file
 */
public record RenderedRow(String text, long[] ids, long[] labels, long line) {

    /** Whether token {@code k} carries loss. */
    public boolean trained(int k) {
        return labels[k] != Example.IGNORE;
    }
}
