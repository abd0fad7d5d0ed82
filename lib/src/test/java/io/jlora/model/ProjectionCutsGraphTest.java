package io.jlora.model;

import io.jlora.model.autograd.GradRecording;
import io.jlora.model.autograd.ProjectionCuts;
import io.jlora.model.autograd.QuantizedOutputs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The mechanism of {@link ProjectionCuts} on a small graph, without quantization: two on-demand
 * projections read one input (as q and k do), a third reads a product of their outputs (as down
 * reads the MLP's), and a residual joins the input to the result. The gradients of the input and of
 * a trainable scale must equal plain autograd's, and inside the scope the projections' weights must
 * never be handed to a recorded graph (their input gradient is asked for instead).
 */
class ProjectionCutsGraphTest {

    /** What a frozen projection (at a module path) was asked for: outputs computed (recorded ones apart) and input gradients. */
    private record Counts(String path, NDArray weight, AtomicInteger computed, AtomicInteger recorded,
            AtomicInteger inputGradients) {
        Counts(String path, NDArray weight) {
            this(path, weight, new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
        }
    }

    /** A frozen projection y = x W^T over a weight that counts its uses. */
    private interface CountingProjection extends FrozenProjection {
        Counts counts();

        @Override
        default String path() {
            return counts().path();
        }

        @Override
        default NDArray weight() {
            return counts().weight();
        }

        @Override
        default NDArray bias() {
            return null;
        }

        @Override
        default NDArray forward(NDArray x) {
            return ProjectionCuts.baseOutput(this, x, () -> {
                counts().computed().incrementAndGet();
                if (GradRecording.isOn()) {
                    counts().recorded().incrementAndGet();
                }
                return x.matMul(weight().transpose());
            });
        }

        @Override
        default NDArray inputGradient(NDArray outputGradient) {
            counts().inputGradients().incrementAndGet();
            return outputGradient.matMul(weight());
        }
    }

    /** Its weight handed out per call: cut inside every scope. */
    private record OnDemand(Counts counts) implements CountingProjection, OnDemandWeight {}

    /** Dense: cut only where its output was kept. */
    private record Dense(Counts counts) implements CountingProjection {}

    /**
     * The three projections of out = c((a(x) * scale) * b(x)), an input and a scale, drawn from a
     * seed; a and b named as attention projections, c as an MLP's.
     */
    private record Fixture<P extends CountingProjection>(P a, P b, P c, NDArray input, NDArray scale) {
        static <P extends CountingProjection> Fixture<P> of(NDManager m, int seed, java.util.function.Function<Counts, P> kind) {
            m.getEngine().setRandomSeed(seed);
            P a = kind.apply(new Counts("model.layers.0.self_attn.q_proj", m.randomNormal(new Shape(6, 5))));
            P b = kind.apply(new Counts("model.layers.0.self_attn.k_proj", m.randomNormal(new Shape(6, 5))));
            P c = kind.apply(new Counts("model.layers.0.mlp.down_proj", m.randomNormal(new Shape(5, 6))));
            return new Fixture<>(a, b, c, m.randomNormal(new Shape(3, 5)), m.randomNormal(new Shape(6)));
        }

        CountingProjection[] all() {
            return new CountingProjection[] {a, b, c};
        }

        /** A copy of {@code value} in {@code m} that autograd differentiates by. */
        NDArray leaf(NDArray value, NDManager m) {
            NDArray copy = value.duplicate();
            copy.attach(m);
            copy.setRequiresGradient(true);
            return copy;
        }
    }

    /**
     * The fixture's forward with recording off and a {@link ProjectionCuts.Kept} store open (its own
     * manager closed after: the kept outputs must outlive it); returns the store.
     */
    private static ProjectionCuts.Kept keptForward(NDManager m, Fixture<?> f, QuantizedOutputs onDemand) {
        try (NDManager layer = m.newSubManager(); GradRecording.Scope off = GradRecording.off();
                ProjectionCuts.Kept keep = ProjectionCuts.keep(m, onDemand)) {
            NDArray x = f.input().duplicate();
            x.attach(layer);
            new LinearSlot(f.c()).forward(new LinearSlot(f.a()).forward(x).mul(f.scale()).mul(new LinearSlot(f.b()).forward(x)));
            return keep;
        }
    }

    /**
     * The fixture's forward with a {@link ProjectionCuts.Kept} store ({@code onDemand}), then the
     * recorded pass cut over it: it computes {@code computedAgain} projections anew and gives
     * {@code plain}'s gradients.
     */
    private static void assertRecomputedOverKept(NDManager m, Fixture<?> f, QuantizedOutputs onDemand, float[][] plain,
            int computedAgain, String message) {
        ProjectionCuts.Kept kept = keptForward(m, f, onDemand);
        int computedBefore = sum(f.all(), Counts::computed);
        float[][] recomputed = gradients(m, f, true, kept);
        assertEquals(computedBefore + computedAgain, sum(f.all(), Counts::computed), message);
        assertSameGradients(plain, recomputed);
    }

    /** Equal to 1e-5 (relative above 1), array by array; none empty. */
    private static void assertSameGradients(float[][] expected, float[][] actual) {
        for (int k = 0; k < expected.length; k++) {
            assertTrue(expected[k].length > 0);
            for (int i = 0; i < expected[k].length; i++) {
                assertEquals(expected[k][i], actual[k][i], 1e-5 * Math.max(1, Math.abs(expected[k][i])), "array " + k + " at " + i);
            }
        }
    }

    private static int sum(CountingProjection[] ps, java.util.function.Function<Counts, AtomicInteger> what) {
        int n = 0;
        for (CountingProjection p : ps) {
            n += what.apply(p.counts()).get();
        }
        return n;
    }

    @Test
    void cutGradientsEqualPlainAutogradAndNoWeightEntersTheGraph() {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture<OnDemand> f = Fixture.of(m, 11, OnDemand::new);
            CountingProjection[] all = f.all();
            float[][] plain = gradients(m, f, false);
            assertEquals(3, sum(all, Counts::recorded), "the plain pass records each");
            float[][] cut = gradients(m, f, true);
            assertEquals(3, sum(all, Counts::recorded), "the cut pass records none");
            assertEquals(3, sum(all, Counts::inputGradients));
            assertSameGradients(plain, cut);
        }
    }

    /**
     * Selective recomputation: the outputs of dense projections kept from an unrecorded forward are
     * handed back by the recorded one, which computes none of them again, and the gradients equal
     * plain autograd's.
     */
    @Test
    void keptDenseOutputsAreNotRecomputedAndGiveTheSameGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture<Dense> f = Fixture.of(m, 12, Dense::new);
            CountingProjection[] all = f.all();
            float[][] plain = gradients(m, f, false);
            assertEquals(0, sum(all, Counts::inputGradients), "not cut without kept outputs");

            assertRecomputedOverKept(m, f, QuantizedOutputs.NONE, plain, 0, "no projection computed again");
            assertEquals(3, sum(all, Counts::inputGradients));
        }
    }

    /**
     * Quantized (on-demand) projections: their outputs are kept as the store's policy says (none,
     * the attention block's, all); the recomputation computes the others again, and the gradients
     * still equal plain autograd's.
     */
    @Test
    void onDemandOutputsAreKeptAsThePolicySaysAndTheOthersRecomputed() {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture<OnDemand> f = Fixture.of(m, 14, OnDemand::new);
            float[][] plain = gradients(m, f, false);
            assertRecomputedOverKept(m, f, QuantizedOutputs.NONE, plain, 3, "none kept: each computed again");
            assertRecomputedOverKept(m, f, QuantizedOutputs.ATTENTION, plain, 1, "q and k kept: down computed again");
            assertRecomputedOverKept(m, f, QuantizedOutputs.ALL, plain, 0, "all kept: none computed again");
        }
    }

    /**
     * Unread outputs: in a recomputation whose output is only backpropagated (with a given gradient,
     * as a checkpointed layer's), the last projection's base output is not computed (zeros stand for
     * it), and the gradients still equal plain autograd's: its input gradient needs only the weight.
     */
    @Test
    void anUnreadLastProjectionIsNotComputedAndGivesTheSameGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture<OnDemand> f = Fixture.of(m, 13, OnDemand::new);
            NDArray outGradient = m.randomNormal(new Shape(3, 5));
            float[][] plain = backpropagated(m, f, outGradient, false);
            assertEquals(1, f.c().counts().computed().get());
            float[][] recomputed = backpropagated(m, f, outGradient, true);
            assertEquals(1, f.c().counts().computed().get(), "the unread projection is not computed again");
            assertEquals(2, f.a().counts().computed().get(), "a read projection is");
            assertEquals(1, f.c().counts().inputGradients().get());
            assertSameGradients(plain, recomputed);
        }
    }

    /** d/d(input) and d/d(scale) of out = x + c((a(x) * scale) * b(x)) backpropagated with {@code outGradient}. */
    private static float[][] backpropagated(NDManager parent, Fixture<?> f, NDArray outGradient, boolean recompute) {
        try (NDManager m = parent.newSubManager(); GradRecording.Scope on = GradRecording.set(true)) {
            NDArray x = f.leaf(f.input(), m);
            NDArray s = f.leaf(f.scale(), m);
            try (ProjectionCuts scope = recompute ? ProjectionCuts.openRecompute(m, null) : null) {
                NDArray h = ProjectionCuts.shared(x);
                NDArray mixed = new LinearSlot(f.a()).forward(h).mul(s).mul(new LinearSlot(f.b()).forward(h));
                LinearSlot last = new LinearSlot(f.c());
                NDArray out = h.add(ProjectionCuts.layerOutputUnread() ? last.forwardUnread(mixed) : last.forward(mixed));
                JniUtils.backward((PtNDArray) out, (PtNDArray) outGradient, false, false);
                if (scope != null) {
                    scope.propagate((o, g) -> JniUtils.backward((PtNDArray) o, (PtNDArray) g, false, false));
                }
            }
            return new float[][] {x.getGradient().toFloatArray(), s.getGradient().toFloatArray()};
        }
    }

    private static float[][] gradients(NDManager parent, Fixture<?> f, boolean cuts) {
        return gradients(parent, f, cuts, null);
    }

    /** d/d(input) and d/d(scale) of sum(out^2), out = x + c((a(x) * scale) * b(x)). */
    private static float[][] gradients(NDManager parent, Fixture<?> f, boolean cuts, ProjectionCuts.Kept kept) {
        try (NDManager m = parent.newSubManager(); GradRecording.Scope on = GradRecording.set(true)) {
            NDArray x = f.leaf(f.input(), m);
            NDArray s = f.leaf(f.scale(), m);
            LinearSlot slotA = new LinearSlot(f.a());
            LinearSlot slotB = new LinearSlot(f.b());
            LinearSlot slotC = new LinearSlot(f.c());
            try (ProjectionCuts scope = cuts ? ProjectionCuts.open(m, kept) : null) {
                NDArray h = ProjectionCuts.shared(x); // read by the projections and by the residual
                NDArray mixed = slotA.forward(h).mul(s).mul(slotB.forward(h));
                NDArray out = h.add(slotC.forward(mixed));
                NDArray loss = out.square().sum();
                JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
                if (scope != null) {
                    scope.propagate((o, g) -> JniUtils.backward((PtNDArray) o, (PtNDArray) g, false, false));
                }
            }
            return new float[][] {x.getGradient().toFloatArray(), s.getGradient().toFloatArray()};
        }
    }
}
