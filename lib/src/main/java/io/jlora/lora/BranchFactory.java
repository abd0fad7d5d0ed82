package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.io.DirectViews;
import io.jlora.model.Linear;
import java.util.SplittableRandom;

/**
 * Makes the branch of one adapter on one layer: initial A and B as PEFT's {@code update_layer} and
 * {@code reset_lora_parameters} (or {@code pissa_init}) make them, DoRA's initial magnitude, and
 * the gradient flags. Random draws use a stream seeded by the seed and the module path, so an
 * adapter is reproducible whatever the order in which layers are visited.
 */
final class BranchFactory {

    private BranchFactory() {}

    /**
     * How a new adapter makes each module's branch: PiSSA from the base's top singular triplets
     * (rewriting the base, with the initial branch kept to undo it), else {@link #initialWeights}.
     */
    static Adapters.BranchMaker initialBranches(LoraConfig c, long seed) {
        return (path, base, owner, pissa) -> {
            if (c.init() == LoraInit.PISSA) {
                LoraBranch initial = pissa(c, path, base, owner, seed);
                pissa.put(path, initial);
                return branch(c, path, base, initial.a().duplicate(), initial.b().duplicate(), null, owner);
            }
            NDArray[] ab = initialWeights(c, path, base, owner, seed);
            return branch(c, path, base, ab[0], ab[1], null, owner);
        };
    }

    /** Initial [A, B] for the DEFAULT, GAUSSIAN and RANDOM inits, float32, owned by {@code owner}. */
    static NDArray[] initialWeights(LoraConfig c, String path, Linear base, NDManager owner, long seed) {
        int r = c.rank(path);
        int in = Math.toIntExact(base.inFeatures());
        int out = Math.toIntExact(base.outFeatures());
        SplittableRandom random = random(seed, path);
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        switch (c.init()) {
            // torch's kaiming_uniform_(a=sqrt(5)) on a [r, in] weight: U(-1/sqrt(in), 1/sqrt(in))
            case DEFAULT -> uniform(random, a, 1 / Math.sqrt(in));
            case GAUSSIAN -> {
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (random.nextGaussian() / r);
                }
            }
            case RANDOM -> {
                uniform(random, a, 1 / Math.sqrt(in));
                uniform(random, b, 1 / Math.sqrt(r));
            }
            case PISSA -> throw new IllegalArgumentException("PiSSA weights come from pissa()");
        }
        // in libtorch's memory: DJL's create(float[]) would keep a Java direct buffer per matrix, counted
        // against the JVM's direct-memory cap (-Xmx by default); a 7B model's adapter exceeds 128 MB
        return new NDArray[] {DirectViews.upload(owner, a, new Shape(r, in)), DirectViews.upload(owner, b, new Shape(out, r))};
    }

    /**
     * PEFT's pissa_init: A = sqrt(S_r / scale) V_r^T, B = U_r sqrt(S_r / scale) from the top-r
     * singular triplets of W, and W replaced in place by the residual W - scale B A. Returns the
     * initial branch, kept so that removing the adapter can put W back.
     */
    static LoraBranch pissa(LoraConfig c, String path, Linear base, NDManager owner, long seed) {
        AdaptedLayers.denseWeight(base, path, "PiSSA (it rewrites the base weight)", "");
        int r = c.rank(path);
        double scale = c.scale(path);
        TopSingular.Result svd = TopSingular.compute(base.weight(), r, c.pissaIterations(), seed ^ path.hashCode());
        int out = svd.out();
        int in = svd.in();
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int i = 0; i < r; i++) {
            double root = Math.sqrt(svd.sigma()[i] / scale);
            for (int k = 0; k < in; k++) {
                a[i * in + k] = (float) (root * svd.right()[i * in + k]);
            }
            for (int k = 0; k < out; k++) {
                b[k * r + i] = (float) (root * svd.left()[k * r + i]);
            }
        }
        LoraBranch initial = new LoraBranch(owner.create(a, new Shape(r, in)), owner.create(b, new Shape(out, r)), scale, 0);
        initial.unmergeFrom(base.weight());
        return initial;
    }

    /**
     * The trainable branch over {@code base} from A, B and (DoRA) the magnitude; a null magnitude
     * is initialised as PEFT does, from the current base weight.
     */
    static LoraBranch branch(LoraConfig c, String path, Linear base, NDArray a, NDArray b, NDArray magnitude,
            NDManager owner) {
        double scale = c.scale(path);
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        if (!c.useDora()) {
            return new LoraBranch(a, b, scale, c.loraDropout());
        }
        NDArray m = magnitude != null ? magnitude : DoraBranch.initialMagnitude(base.weight(), a, b, scale, owner);
        if (m.getDataType() != DataType.FLOAT32) {
            m = ManagedArrays.own(owner, m.toType(DataType.FLOAT32, false));
        }
        m.setRequiresGradient(true);
        return new DoraBranch(a, b, m, scale, c.loraDropout());
    }

    private static SplittableRandom random(long seed, String path) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ path.hashCode());
    }

    private static void uniform(SplittableRandom random, float[] values, double bound) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
    }
}
