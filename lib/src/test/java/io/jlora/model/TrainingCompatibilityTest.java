package io.jlora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the LoRA work relies on: a projection can be wrapped with y = Wx + s*B(A(x)), only A and B
 * get gradients through the whole decoder, and a training step's arrays all die with its manager.
 */
class TrainingCompatibilityTest {

    @TempDir
    Path tmp;

    /** A minimal LoRA-style wrapper, written here so that this test does not depend on the lora package. */
    private static final class LowRank implements Linear {
        final Linear base;
        final NDArray a;
        final NDArray b;

        LowRank(Linear base, NDManager m) {
            this.base = base;
            this.a = m.randomNormal(0, 0.1f, new Shape(4, base.inFeatures()), base.weight().getDataType());
            this.b = m.randomNormal(0, 0.1f, new Shape(base.outFeatures(), 4), base.weight().getDataType());
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
        }

        public String path() {
            return base.path();
        }

        public NDArray weight() {
            return base.weight();
        }

        public NDArray bias() {
            return base.bias();
        }

        public NDArray forward(NDArray x) {
            // not a.transpose(): an op's result belongs to its first operand's manager, and A's is not per-step
            NDArray down = ai.djl.nn.core.Linear.linear(x, a, null).singletonOrThrow();
            NDArray up = ai.djl.nn.core.Linear.linear(down, b, null).singletonOrThrow();
            return base.forward(x).add(up.mul(2f));
        }
    }

    @Test
    void onlyAdapterParametersGetGradientsAndNothingLeaks() {
        Path dir = RandomModels.write(tmp.resolve("m"), RandomModels.Spec.of(Family.QWEN2, 32, 2, 4, 2, 48, 64, 3));
        try (CausalLm lm = CausalLm.load(dir, "cpu", "auto"); NDManager adapters = lm.manager().newSubManager()) {
            Decoder d = lm.decoder();
            List<String> targets = List.of("model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj");
            for (String t : targets) {
                d.replaceLinear(t, base -> new LowRank(base, adapters));
            }
            int before = managed(lm.manager());
            for (int step = 0; step < 3; step++) {
                try (NDManager stepManager = lm.manager().newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray ids = stepManager.create(new long[] {5, 6, 7, 8, 9, 10}).reshape(2, 3);
                    NDArray loss = CausalLmLoss.mean(d.forward(ids), ids);
                    gc.backward(loss);
                    assertTrue(Float.isFinite(loss.getFloat()));
                }
            }
            assertEquals(before, managed(lm.manager()), "every array of the steps was closed with them");
            for (String t : targets) {
                LowRank lr = (LowRank) d.linear(t);
                try (NDArray g = lr.a.getGradient()) {
                    assertTrue(g.abs().sum().getFloat() > 0, t + " A has a gradient");
                }
                try (NDArray g = lr.b.getGradient()) {
                    assertTrue(g.abs().sum().getFloat() > 0, t + " B has a gradient");
                }
            }
            for (NDArray base : d.parameters().values()) {
                assertFalse(base.hasGradient(), base.getName() + " is frozen");
            }
        }
    }

    /** The loss is transformers' shifted cross-entropy; -100 labels do not count. */
    @Test
    void lossIgnoresMaskedLabels() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.randomNormal(new Shape(1, 4, 5));
            NDArray labels = m.create(new long[] {1, 2, 3, 4}).reshape(1, 4);
            NDArray masked = m.create(new long[] {1, 2, -100, 4}).reshape(1, 4);
            float[] lp = logits.logSoftmax(2).toFloatArray();
            // position t predicts label t+1
            double l0 = -lp[0 * 5 + 2];
            double l1 = -lp[1 * 5 + 3];
            double l2 = -lp[2 * 5 + 4];
            assertEquals((l0 + l1 + l2) / 3, CausalLmLoss.mean(logits, labels).getFloat(), 1e-5);
            assertEquals((l0 + l2) / 2, CausalLmLoss.mean(logits, masked).getFloat(), 1e-5);
        }
    }

    private static int managed(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }
}
