/**
 * Autograd mechanics of the decoder's training passes, kept apart from the model's math:
 * {@link io.jlora.model.autograd.ProjectionCuts} (projections with on-demand weights cut out of the
 * graph, their input gradient pushed by hand), {@link io.jlora.model.autograd.GradRecording},
 * {@link io.jlora.model.autograd.IntermediateArrays} (temporaries freed early),
 * {@link io.jlora.model.autograd.DropoutMasks} (masks drawn in Java, reproducible on recomputation) and
 * {@link io.jlora.model.autograd.VocabChunkedLoss} (head and loss in vocabulary blocks).
 */
package io.jlora.model.autograd;
