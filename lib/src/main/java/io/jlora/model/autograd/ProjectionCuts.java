package io.jlora.model.autograd;

import io.jlora.model.LinearSlot;
import io.jlora.model.OnDemandWeight;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

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

    private record BaseOutput(OnDemandWeight projection, NDArray output) {}

    private final ProjectionCuts outer;
    private final NDManager arrays;
    private final Map<NDArray, Cut> bySource = new IdentityHashMap<>();
    private final Map<NDArray, Cut> byLeaf = new IdentityHashMap<>();
    private final List<Cut> cuts = new ArrayList<>();

    private ProjectionCuts(ProjectionCuts outer, NDManager arrays) {
        this.outer = outer;
        this.arrays = arrays;
    }

    /** Opens a scope on this thread, until {@link #close}; the cuts' arrays go to {@code arrays}. */
    public static ProjectionCuts open(NDManager arrays) {
        ProjectionCuts cuts = new ProjectionCuts(OPEN.get(), arrays);
        OPEN.set(cuts);
        return cuts;
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
     * Called by an on-demand projection's forward while a scope is active: its output for the leaf
     * {@code x}, computed with recording off (so no float weight is kept) and made a leaf whose
     * gradient {@link #propagate} reads; null when {@code x} is not a cut input (a caller that did not
     * go through a {@link LinearSlot}), and the projection then computes as usual.
     */
    public static NDArray baseOutput(OnDemandWeight projection, NDArray x) {
        ProjectionCuts cuts = active();
        Cut cut = cuts == null ? null : cuts.byLeaf.get(x);
        if (cut == null) {
            return null;
        }
        NDArray y;
        try (GradRecording.Scope off = GradRecording.off()) {
            y = projection.forward(x);
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
