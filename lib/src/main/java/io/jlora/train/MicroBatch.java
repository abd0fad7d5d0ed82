package io.jlora.train;

/**
 * Padded sequences of one micro-batch, as Java arrays (made into tensors inside the step's
 * manager): ids padded on the right (causal attention never looks at later positions, so padding
 * needs no mask), labels -100 wherever the loss does not count.
 *
 * @param tokens real (unpadded) input tokens
 * @param units what the loss is averaged over: trained tokens (SFT) or pairs (DPO)
 * @param indices the examples' positions in their list (train or eval)
 * @param eval whether they are eval examples
 * @param segments for a padding-free batch of packed rows: one row of ids, these example lengths
 *     side by side (each with its own positions and attention); null for padded rows
 */
record MicroBatch(long[][] ids, long[][] labels, long tokens, long units, int[] indices, boolean eval, int[] segments) {

    MicroBatch(long[][] ids, long[][] labels, long tokens, long units, int[] indices, boolean eval) {
        this(ids, labels, tokens, units, indices, eval, null);
    }
}
