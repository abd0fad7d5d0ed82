package io.jlora.model.autograd;

import io.jlora.model.FrozenProjection;
import io.jlora.model.LinearSlot;
import io.jlora.model.OnDemandWeight;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Cuts the autograd graph of a recorded forward around every projection whose float weight is made
 * on demand ({@link OnDemandWeight}: 4-bit, int8 or float16 storage), so that torch never keeps
 * those float weights for the backward pass, and then pushes the gradient across each cut by hand.
 * DJL has no custom autograd function (bitsandbytes' MatMul4Bit dequantizes again in its backward);
 * this gives the same memory: one float weight at a time instead of a whole layer's.
 *
 * <p>While a scope is open on a thread and that thread records gradients:
 * <ul>
 *   <li>{@link LinearSlot} gives such a projection (and its adapters) a leaf cut from its input, one
 *       leaf per input array, so q/k/v share one and gate/up another;
 *   <li>the projection computes {@code x W^T + b} with recording off and hands it back as a leaf
 *       ({@link #baseOutput}).
 * </ul>
 * {@link #propagate} then runs the backward pass in segments: the caller has backpropagated the
 * output, which stops at those leaves; each cut, latest first, gets its leaf's gradient (from the
 * adapters) plus {@code dy W} of every projection that read it, and that sum is backpropagated into
 * the array the leaf was cut from. The order is right because an input that feeds a later cut was
 * itself made earlier: first use orders the cuts topologically. No part of the graph may be reached
 * from two cuts (each backward frees what it passed through): the decoder layer cuts its residual
 * stream too ({@link #shared}).
 *
 * <p>Kept outputs (selective recomputation, as PyTorch's "save the matmuls" checkpoint policy):
 * while a {@link Kept} store is open on a thread that does not record (the first, unrecorded pass of
 * gradient checkpointing), the outputs of dense frozen projections are kept; a scope opened with that
 * store then cuts those projections too and hands their kept outputs back instead of recomputing
 * them, so that recomputing a layer costs its element-wise work, attention and the adapters, but not
 * its base GEMMs. Of quantized and half-precision bases, whose point is memory, the store keeps the
 * outputs its {@link QuantizedOutputs} policy names (by default as many as fit in a budget); the others
 * are recomputed.
 *
 * <p>Unread outputs: a layer recomputed only to backpropagate ({@link #openRecompute}) never has its
 * output's value read, and when its last projection's output goes straight into it (no norm after
 * the MLP), neither is that projection's base output: its gradient is the layer's, and dL/dx needs
 * only the weight. {@link #unread} then hands back zeros for it, sparing a base GEMM (and, for a
 * quantized base, a dequantization) per layer; the adapter's own branch still runs on the input.
 *
 * <p>The arrays a cut needs (its source, its leaf and the projections' outputs) move to the scope's
 * manager, so that a caller may close the managers of the forward's other arrays (one per layer)
 * before propagating; what is computed from a leaf lands there too. Close that manager after
 * {@link #propagate}.
 */
public final class ProjectionCuts implements AutoCloseable {

    private static final ThreadLocal<ProjectionCuts> OPEN = new ThreadLocal<>();

    /** One cut input: the array it was cut from, its leaf, and what the projections made of it. */
    private static final class Cut {
        final NDArray source;
        final NDArray leaf;
        final List<BaseOutput> outputs = new ArrayList<>();

        Cut(NDArray source, NDArray leaf) {
            this.source = source;
            this.leaf = leaf;
        }
    }

    private record BaseOutput(FrozenProjection projection, NDArray output) {}

    /**
     * Outputs of dense frozen projections kept from an unrecorded forward, per projection in call
     * order, for the recomputation of the same forward ({@link #open(NDManager, Kept)}).
     */
    public static final class Kept implements AutoCloseable {
        private final NDManager arrays;
        private final Map<FrozenProjection, ArrayDeque<NDArray>> outputs = new IdentityHashMap<>();
        private final Kept outer;
        private final QuantizedOutputs quantized;

        private Kept(NDManager arrays, Kept outer, QuantizedOutputs quantized) {
            this.arrays = arrays;
            this.outer = outer;
            this.quantized = quantized;
        }

        /** Whether this store keeps {@code projection}'s output: a dense frozen one, or an on-demand one its policy names. */
        private boolean keeps(FrozenProjection projection) {
            if (projection instanceof OnDemandWeight) {
                return quantized.keeps(projection.path()); // frozen by nature; its weight() would dequantize a copy
            }
            return !JniUtils.requiresGrad((PtNDArray) projection.weight()); // hasGradient() caches its first answer
        }

        private void add(FrozenProjection projection, NDArray output) {
            // a second handle on the same memory, in the store's manager: the output itself stays in
            // the forward's manager, since DJL puts what is computed from an array in that array's
            // manager (the attention scores made from a kept q would otherwise outlive the layer)
            NDArray handle = output.stopGradient();
            handle.attach(arrays);
            outputs.computeIfAbsent(projection, p -> new ArrayDeque<>()).add(handle);
        }

        private boolean has(FrozenProjection projection) {
            ArrayDeque<NDArray> queue = outputs.get(projection);
            return queue != null && !queue.isEmpty();
        }

        private NDArray take(FrozenProjection projection) {
            ArrayDeque<NDArray> queue = outputs.get(projection);
            return queue == null ? null : queue.poll();
        }

        /** Stops keeping on this thread; what was kept stays for the recomputation. */
        @Override
        public void close() {
            if (KEEPING.get() == this) {
                KEEPING.set(outer);
            }
        }
    }

    private static final ThreadLocal<Kept> KEEPING = new ThreadLocal<>();

    /** Set while a forward whose base outputs nothing reads runs on this thread ({@link #unread}). */
    private static final ThreadLocal<Boolean> UNREAD = new ThreadLocal<>();

    private final ProjectionCuts outer;
    private final NDManager arrays;
    private final Kept kept;
    private final boolean outputUnread;
    private final Map<NDArray, Cut> bySource = new IdentityHashMap<>();
    private final Map<NDArray, Cut> byLeaf = new IdentityHashMap<>();
    private final List<Cut> cuts = new ArrayList<>();

    private ProjectionCuts(ProjectionCuts outer, NDManager arrays, Kept kept, boolean outputUnread) {
        this.outer = outer;
        this.arrays = arrays;
        this.kept = kept;
        this.outputUnread = outputUnread;
    }

    /** Opens a scope on this thread, until {@link #close}; the cuts' arrays go to {@code arrays}. */
    public static ProjectionCuts open(NDManager arrays) {
        return open(arrays, null);
    }

    /**
     * As {@link #open(NDManager)}, also cutting the dense projections whose outputs {@code kept}
     * holds (null: none) and using those outputs instead of computing them again.
     */
    public static ProjectionCuts open(NDManager arrays, Kept kept) {
        return open(arrays, kept, false);
    }

    /**
     * As {@link #open(NDManager, Kept)}, for the recomputation of one layer whose output will only be
     * backpropagated, never read ({@link #layerOutputUnread}).
     */
    public static ProjectionCuts openRecompute(NDManager arrays, Kept kept) {
        return open(arrays, kept, true);
    }

    private static ProjectionCuts open(NDManager arrays, Kept kept, boolean outputUnread) {
        ProjectionCuts cuts = new ProjectionCuts(OPEN.get(), arrays, kept, outputUnread);
        OPEN.set(cuts);
        return cuts;
    }

    /** Whether the layer running now on this thread is recomputed only to backpropagate its output. */
    public static boolean layerOutputUnread() {
        ProjectionCuts cuts = active();
        return cuts != null && cuts.outputUnread;
    }

    /**
     * Runs {@code forward} (one projection's), whose output's value nothing will read: a cut base
     * projection in it gives zeros of its output's shape instead of computing (its kept output, if
     * any, is used as it costs nothing). Its caller checks that the adapters read no base output
     * ({@link io.jlora.model.Linear#readsBaseOutput}).
     */
    public static NDArray unread(Supplier<NDArray> forward) {
        Boolean outer = UNREAD.get();
        UNREAD.set(Boolean.TRUE);
        try {
            return forward.get();
        } finally {
            UNREAD.set(outer);
        }
    }

    /**
     * Keeps, until the store is closed, the outputs of the dense frozen projections that run on this
     * thread with recording off, in {@code arrays} (a manager that outlives the forward's own).
     */
    public static Kept keep(NDManager arrays) {
        return keep(arrays, QuantizedOutputs.NONE);
    }

    /**
     * As {@link #keep(NDManager)}, and also the outputs of the projections that make their weight
     * on demand (quantized ones) that {@code quantized} names: their recomputation then costs no
     * dequantization nor GEMM, at the memory of their outputs.
     */
    public static Kept keep(NDManager arrays, QuantizedOutputs quantized) {
        Kept kept = new Kept(arrays, KEEPING.get(), quantized);
        KEEPING.set(kept);
        return kept;
    }

    /**
     * The scope that cuts {@code projection} out of the graph now: an active one when the projection
     * makes its weight on demand or the scope holds its kept output; else null.
     */
    public static ProjectionCuts cutting(FrozenProjection projection) {
        ProjectionCuts cuts = active();
        if (cuts == null) {
            return null;
        }
        return projection instanceof OnDemandWeight || (cuts.kept != null && cuts.kept.has(projection)) ? cuts : null;
    }

    /** The scope open on this thread when it records gradients, else null. */
    public static ProjectionCuts active() {
        ProjectionCuts cuts = OPEN.get();
        return cuts != null && GradRecording.isOn() ? cuts : null;
    }

    /** The leaf that stands for {@code x} as an input of on-demand projections (one per array). */
    public NDArray input(NDArray x) {
        Cut cut = bySource.get(x);
        if (cut == null) {
            x.attach(arrays);
            NDArray leaf = x.stopGradient();
            leaf.setRequiresGradient(true);
            cut = new Cut(x, leaf);
            bySource.put(x, cut);
            byLeaf.put(leaf, cut);
            cuts.add(cut);
        }
        return cut.leaf;
    }

    /**
     * Within an active scope, a leaf cut from {@code x}, an array that two segments would otherwise
     * share (a decoder layer's residual stream after attention feeds both the layer's output and
     * the MLP's norm): each part of the graph is then backpropagated once, without retaining it.
     * Outside a scope, {@code x} itself.
     */
    public static NDArray shared(NDArray x) {
        ProjectionCuts cuts = active();
        return cuts == null ? x : cuts.input(x);
    }

    /**
     * A frozen projection's forward goes through here: {@code compute} gives its output. Within an
     * active scope and for a cut input (a leaf from {@link LinearSlot}), the output is the kept one
     * or computed with recording off (so no float weight is kept), and made a leaf whose gradient
     * {@link #propagate} reads. Otherwise it is computed as usual, and kept when a {@link Kept} store
     * is open, recording is off and the projection is dense and frozen.
     */
    public static NDArray baseOutput(FrozenProjection projection, NDArray x, Supplier<NDArray> compute) {
        // x may be a leaf of a cut residual stream (shared) that an uncut dense projection reads
        ProjectionCuts cuts = cutting(projection);
        Cut cut = cuts == null ? null : cuts.byLeaf.get(x);
        if (cut == null) {
            NDArray y = compute.get();
            Kept kept = KEEPING.get();
            if (kept != null && !GradRecording.isOn() && kept.keeps(projection)) {
                kept.add(projection, y);
            }
            return y;
        }
        NDArray y = cuts.kept == null ? null : cuts.kept.take(projection);
        if (y != null) {
            y.attach(cuts.arrays);
        } else if (UNREAD.get() != null) {
            Shape shape = x.getShape().slice(0, x.getShape().dimension() - 1).add(projection.outFeatures());
            y = cuts.arrays.zeros(shape, x.getDataType());
        } else {
            try (GradRecording.Scope off = GradRecording.off()) {
                y = compute.get();
            }
        }
        y.setRequiresGradient(true);
        cut.outputs.add(new BaseOutput(projection, y));
        return y;
    }

    /**
     * After the caller has backpropagated the forward's output: pushes the gradient across every
     * cut, latest first, through {@code backward} (output, gradient), which must tolerate an
     * output that does not depend on anything requiring a gradient.
     */
    public void propagate(BiConsumer<NDArray, NDArray> backward) {
        for (int i = cuts.size() - 1; i >= 0; i--) {
            Cut cut = cuts.get(i);
            NDArray total = gradientOf(cut.leaf); // an alias of the leaf's .grad: never changed in place
            boolean ownTotal = false;
            for (BaseOutput o : cut.outputs) {
                NDArray dy = gradientOf(o.output());
                if (dy == null) {
                    continue;
                }
                NDArray dx;
                try (GradRecording.Scope off = GradRecording.off()) {
                    dx = o.projection().inputGradient(dy);
                }
                dy.close();
                if (total == null) {
                    total = dx;
                } else if (ownTotal) {
                    total.addi(dx);
                    dx.close();
                } else {
                    NDArray sum = total.add(dx);
                    total.close();
                    dx.close();
                    total = sum;
                }
                ownTotal = true;
            }
            if (total != null) {
                backward.accept(cut.source, total);
                total.close();
            }
        }
        cuts.clear();
        bySource.clear();
        byLeaf.clear();
    }

    /** An alias of the gradient accumulated in a leaf, or null when none reached it. */
    private static NDArray gradientOf(NDArray leaf) {
        return JniUtils.getGradient((PtNDArray) leaf);
    }

    @Override
    public void close() {
        if (OPEN.get() == this) {
            OPEN.set(outer);
        } else {
            OPEN.remove();
        }
    }
}
