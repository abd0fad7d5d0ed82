package io.jlora.model.generate;

/**
 * What {@code score} reports.
 *
 * @param loss mean loss over every predicted token of every sequence
 * @param perSequence each sequence's mean loss
 * @param tokens number of predicted tokens (each sequence's length minus one, summed)
 */
public record ScoreResult(double loss, double[] perSequence, long tokens) {}
