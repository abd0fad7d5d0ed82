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
 */
record MicroBatch(long[][] ids, long[][] labels, long tokens, long units, int[] indices, boolean eval) {}
