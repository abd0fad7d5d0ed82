package io.jlora.train;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.jlora.JloraException;
import io.jlora.model.CausalLmLoss;
import io.jlora.model.Decoder;
import io.jlora.model.autograd.DropoutMasks;
import io.jlora.model.autograd.GradRecording;
import io.jlora.model.autograd.ProjectionCuts;
import io.jlora.model.autograd.QuantizedOutputs;
import io.jlora.model.autograd.VocabChunkedLoss;

/**
 * One micro-batch's forward and backward pass through the decoder, layer by layer, with or without
 * gradient checkpointing; gradients accumulate in the trainable arrays.
 *
 * <p>Without checkpointing the whole forward is recorded and backpropagated at once (from the final
 * norm's output when the head's loss runs in vocabulary blocks, see {@link #headPass}):
 * what each layer's backward needs stays alive until the backward pass (each layer runs in a
 * manager of its own, closed after it, so that the arrays autograd does not keep are freed at
 * once, as in eager PyTorch). Projections with on-demand float weights are cut out of that graph
 * ({@link ProjectionCuts}): their base outputs and inputs are kept instead of their float weights.
 *
 * <p>With checkpointing (transformers' gradient_checkpointing: layer-wise, non-reentrant in
 * effect):
 * <ol>
 *   <li>the layers run with recording off, each in a manager of its own that is closed after it,
 *       so that only each layer's input is kept;
 *   <li>the head (final norm, lm_head, loss) runs with recording on from the last layer's output
 *       made a leaf; backward gives the head's parameter gradients and the gradient of that output.
 *       For the causal-LM loss over a frozen head, lm_head and the loss run in vocabulary blocks
 *       ({@link VocabChunkedLoss}: the whole logits never exist) and backward starts at the norm;
 *   <li>for each layer from the last to the first: its input is made a leaf, the layer recomputed
 *       with recording on, and the incoming gradient backpropagated through it
 *       ({@code backward(output, grad_output)}), which adds the layer's parameter gradients and
 *       gives the gradient of its input for the layer below. Its arrays are closed right after.
 *       Projections whose float weight is made on demand (4-bit, int8, float16 storage) are cut out
 *       of that graph ({@link ProjectionCuts}) and dequantize again for their input gradient, so the
 *       recomputed layer never holds more than one float weight. Dense frozen projections are cut
 *       too, their outputs kept from pass 1 ({@link ProjectionCuts.Kept}): the recomputation then
 *       skips their GEMMs, the larger part of a layer's forward.
 * </ol>
 * Peak memory is then the layer inputs and the dense projections' outputs plus one layer's (or the
 * head's) intermediates.
 *
 * <p>Dropout masks ({@link DropoutMasks}) come from a stream seeded before each layer (and the head)
 * from the step's seed, in both passes: the recomputation sees the same masks as the first pass
 * (as torch.utils.checkpoint's preserve_rng_state), and runs with checkpointing on and off
 * compute the same gradients.
 */
final class Backprop {

    /** The loss of a micro-batch from its logits: a float32 scalar to backpropagate. */
    interface Head {
        NDArray loss(NDArray logits);

        /**
         * The labels when the loss is {@code scale} times the sum of {@link CausalLmLoss#tokenLosses}
         * (then the head may run in vocabulary blocks, never holding the whole logits); null when
         * the loss is another function of the logits.
         */
        default TokenTargets tokenTargets() {
            return null;
        }
    }

    /** Labels [batch, time] and the factor of the summed token losses. */
    record TokenTargets(NDArray labels, double scale) {}

    /** The causal-LM head: {@code scale} times the summed token losses of {@code labels}. */
    static Head tokenLoss(NDArray labels, double scale) {
        return new Head() {
            @Override
            public NDArray loss(NDArray logits) {
                NDArray sum = CausalLmLoss.tokenLosses(logits, labels).sum();
                return sum.mul(Scalars.of(sum, scale));
            }

            @Override
            public TokenTargets tokenTargets() {
                return new TokenTargets(labels, scale);
            }
        };
    }

    /** Runs right before every backward call (tests: a GC there must not change any gradient). */
    static volatile Runnable beforeBackward;

    private long firstRow;
    private StepPhases phases = new StepPhases();

    private final Decoder decoder;
    private final boolean checkpointing;
    private final QuantizedOutputs keepQuantizedOutputs;
    private final boolean embeddingTrainable;

    Backprop(Decoder decoder, boolean checkpointing, QuantizedOutputs keepQuantizedOutputs, boolean embeddingTrainable) {
        this.decoder = decoder;
        this.checkpointing = checkpointing;
        this.keepQuantizedOutputs = keepQuantizedOutputs;
        this.embeddingTrainable = embeddingTrainable;
    }

    /** Where the next passes' time goes (the trainer gives each step its own). */
    void phases(StepPhases phases) {
        this.phases = phases;
    }

    /** Runs forward and backward of {@code ids} (owned by {@code step}); returns the loss. */
    float run(NDManager step, NDArray ids, Head head, long seed) {
        return run(step, ids, null, head, seed);
    }

    /**
     * As {@link #run(NDManager, NDArray, Head, long)}; {@code segments}, when not null, are the
     * lengths of the examples packed side by side in the one row of {@code ids} (padding-free).
     */
    float run(NDManager step, NDArray ids, int[] segments, Head head, long seed) {
        int length = Math.toIntExact(ids.getShape().get(1));
        Decoder.Positions p = segments == null ? decoder.positions(step, 0, length) : decoder.packedPositions(step, segments);
        return checkpointing ? checkpointed(step, ids, p, head, seed) : recorded(step, ids, p, head, seed);
    }

    private float recorded(NDManager step, NDArray ids, Decoder.Positions p, Head head, long seed) {
        try (GradRecording.Scope on = Autograd.recording(true); NDManager cutArrays = step.newSubManager();
                ProjectionCuts cuts = ProjectionCuts.open(cutArrays)) {
            phases.start(StepPhases.Phase.FORWARD);
            NDArray x = decoder.embed(ids);
            for (int i = 0; i < decoder.layerCount(); i++) {
                // each layer's arrays in a manager closed after it: what backward needs, autograd
                // keeps alive itself; the rest (as in eager PyTorch) is freed right away
                try (NDManager layer = step.newSubManager()) {
                    x.attach(layer);
                    seedDropout(seed, i);
                    x = decoder.layer(i, x, p);
                    x.attach(step);
                }
            }
            seedDropout(seed, decoder.layerCount());
            phases.start(StepPhases.Phase.HEAD);
            HeadPass h = headPass(x, head);
            phases.start(StepPhases.Phase.BACKWARD);
            if (!backwardIfGraph(h.output(), h.gradient())) {
                throw noGraph();
            }
            cuts.propagate(Backprop::backwardIfGraph);
            phases.stop();
            return h.loss();
        }
    }

    private float checkpointed(NDManager step, NDArray ids, Decoder.Positions p, Head head, long seed) {
        int layers = decoder.layerCount();
        NDArray[] inputs = new NDArray[layers];
        ProjectionCuts.Kept[] kept = new ProjectionCuts.Kept[layers];
        QuantizedOutputs keptQuantized = keepQuantizedOutputs.resolve(decoder.config(), ids.getShape().size());
        NDArray x;
        // 1. forward without recording, keeping each layer's input and its dense projections' outputs
        //    (and the quantized ones' that keepQuantizedOutputs names)
        try (GradRecording.Scope off = Autograd.recording(false)) {
            phases.start(StepPhases.Phase.FORWARD);
            x = decoder.embed(ids);
            for (int i = 0; i < layers; i++) {
                try (NDManager layer = step.newSubManager(); ProjectionCuts.Kept keep = ProjectionCuts.keep(step, keptQuantized)) {
                    kept[i] = keep;
                    x.attach(layer);
                    seedDropout(seed, i);
                    NDArray out = decoder.layer(i, x, p);
                    x.attach(step);
                    out.attach(step);
                    inputs[i] = x;
                    x = out;
                }
            }
        }
        // 2. the head, from the last output made a leaf
        float lossValue;
        NDArray grad;
        try (GradRecording.Scope on = Autograd.recording(true); NDManager scope = step.newSubManager()) {
            phases.start(StepPhases.Phase.HEAD);
            x.attach(scope);
            x.setRequiresGradient(true);
            seedDropout(seed, layers);
            HeadPass h = headPass(x, head);
            lossValue = h.loss();
            backwardIfGraph(h.output(), h.gradient()); // x requires a gradient, so there is a graph
            grad = Autograd.gradient(x, step);
        }
        // 3. each layer recomputed with recording, last first, the incoming gradient pushed through it
        for (int i = layers - 1; i >= 0; i--) {
            try (GradRecording.Scope on = Autograd.recording(true); NDManager scope = step.newSubManager();
                    ProjectionCuts cuts = ProjectionCuts.openRecompute(scope, kept[i])) {
                kept[i] = null;
                NDArray in = inputs[i];
                in.attach(scope);
                boolean wantInputGrad = i > 0 || embeddingTrainable;
                if (wantInputGrad) {
                    in.setRequiresGradient(true);
                }
                seedDropout(seed, i);
                phases.start(StepPhases.Phase.RECOMPUTE);
                NDArray out = decoder.layer(i, in, p);
                phases.start(StepPhases.Phase.BACKWARD);
                backwardIfGraph(out, grad); // no graph only for a first layer without trainable arrays
                // then across the projections whose float weights the graph did not keep
                cuts.propagate(Backprop::backwardIfGraph);
                grad.close();
                grad = wantInputGrad ? Autograd.gradient(in, step) : null;
            }
        }
        if (embeddingTrainable && grad != null) {
            try (GradRecording.Scope on = Autograd.recording(true); NDManager scope = step.newSubManager()) {
                NDArray idsHere = ids.duplicate();
                idsHere.attach(scope);
                NDArray embedded = decoder.embed(idsHere);
                backwardIfGraph(embedded, grad);
                grad.close();
            }
        }
        phases.stop();
        return lossValue;
    }

    /** What the head hands to backward: its loss, and the array to backpropagate with its gradient (null: a scalar loss). */
    private record HeadPass(float loss, NDArray output, NDArray gradient) {}

    /**
     * The final norm and the head's loss on the last layer's output {@code x}. For the causal-LM
     * loss over a frozen head, lm_head and the loss run in vocabulary blocks with recording off
     * ({@link VocabChunkedLoss}: the whole logits never exist, and the input gradient is made by
     * hand), and backward starts at the norm's output; otherwise autograd runs over the whole logits.
     */
    private HeadPass headPass(NDArray x, Head head) {
        NDArray normed = decoder.finalNorm(x);
        TokenTargets targets = head.tokenTargets();
        if (targets != null) {
            VocabChunkedLoss.Result blocks;
            try (GradRecording.Scope off = Autograd.recording(false)) {
                blocks = decoder.headLoss(normed.stopGradient(), targets.labels(), targets.scale());
            }
            if (blocks != null) {
                return new HeadPass(blocks.loss(), normed, blocks.hiddenGradient());
            }
        }
        NDArray loss = head.loss(decoder.lmHead(normed));
        return new HeadPass(loss.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).getFloat(), loss, null);
    }

    /**
     * Backpropagates; false when {@code output} does not depend on anything that requires a
     * gradient (DJL cannot tell beforehand: its requiresGrad is false for every non-leaf).
     */
    private static boolean backwardIfGraph(NDArray output, NDArray grad) {
        Runnable hook = beforeBackward;
        if (hook != null) {
            hook.run();
        }
        try {
            if (grad == null) {
                Autograd.backward(output);
            } else {
                Autograd.backward(output, grad);
            }
            return true;
        } catch (EngineException e) {
            if (String.valueOf(e.getMessage()).contains("does not require grad")) {
                return false;
            }
            throw e;
        }
    }

    private static JloraException noGraph() {
        return new JloraException("no trainable parameter takes part in the forward pass: is the adapter active"
                + " (not disabled, not merged) and are its parameters trainable?");
    }

    /**
     * The position of the next micro-batch's first row in its global batch: a member of a
     * data-parallel group holding a slice of it draws that slice's dropout masks ({@link DropoutMasks}).
     */
    void firstRow(long row) {
        this.firstRow = row;
    }

    /** Seeds the dropout masks and libtorch's generator for part {@code part} of the pass whose seed is {@code seed}. */
    private void seedDropout(long seed, int part) {
        long partSeed = Seeds.mix(seed, part) & Long.MAX_VALUE;
        DropoutMasks.seed(partSeed, firstRow);
        JniUtils.setSeed(partSeed); // any other draw from libtorch's generator
    }
}

