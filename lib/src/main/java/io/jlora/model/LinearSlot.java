package io.jlora.model;

import io.jlora.model.autograd.ProjectionCuts;
import ai.djl.ndarray.NDArray;
import io.jlora.JloraException;

/**
 * The place in the decoder where one projection sits. Modules call {@link #forward}; adapters are
 * attached by swapping what the slot holds ({@link Decoder#replaceLinear}), so no module has to be
 * rebuilt to adapt it.
 */
public final class LinearSlot {

    private final String path;
    private Linear linear;

    LinearSlot(Linear linear) {
        this.path = linear.path();
        this.linear = linear;
    }

    public String path() {
        return path;
    }

    public Linear get() {
        return linear;
    }

    public NDArray forward(NDArray x) {
        ProjectionCuts cuts = linear.frozenBase() instanceof FrozenProjection p ? ProjectionCuts.cutting(p) : null;
        // inside a cuts scope the projection and its adapters start from a leaf cut from x
        return linear.forward(cuts != null ? cuts.input(x) : x);
    }

    /**
     * As {@link #forward}, where the result will only be backpropagated, never read (the last
     * projection of a layer recomputed for its backward): unless an adapter reads the base output
     * (DoRA), the frozen base's output is not computed ({@link ProjectionCuts#unread}).
     */
    public NDArray forwardUnread(NDArray x) {
        return linear.readsBaseOutput() ? forward(x) : ProjectionCuts.unread(() -> forward(x));
    }

    /** Puts {@code replacement} in place; it must keep the path and the in/out sizes. */
    void set(Linear replacement) {
        if (!replacement.path().equals(path)) {
            throw new JloraException("replacement for " + path + " names itself " + replacement.path());
        }
        if (replacement.inFeatures() != linear.inFeatures() || replacement.outFeatures() != linear.outFeatures()) {
            throw new JloraException("replacement for " + path + " maps " + replacement.inFeatures() + " -> "
                    + replacement.outFeatures() + ", expected " + linear.inFeatures() + " -> " + linear.outFeatures());
        }
        this.linear = replacement;
    }
}
