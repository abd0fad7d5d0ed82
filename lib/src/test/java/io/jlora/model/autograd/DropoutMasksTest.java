package io.jlora.model.autograd;

import io.jlora.model.autograd.DropoutMasks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DropoutMasksTest {

    @Test
    void dropsAboutPAndScalesTheRestLikeTorch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(1000, 1001)); // odd size: the packed tail is cut right
            DropoutMasks.seed(7);
            float[] y = DropoutMasks.apply(x, 0.05).toFloatArray();
            long kept = 0;
            for (float v : y) {
                if (v != 0) {
                    assertEquals(1 / 0.95f, v, 1e-6f, "kept elements are scaled by 1 / (1 - p)");
                    kept++;
                }
            }
            double n = y.length;
            double sigma = Math.sqrt(n * 0.05 * 0.95);
            assertEquals(0.95 * n, kept, 5 * sigma, "keep fraction 0.95 (5 sigma)");
        }
    }

    @Test
    void theSameSeedGivesTheSameMaskAndPZeroIsIdentity() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomUniform(1, 2, new Shape(3, 257));
            DropoutMasks.seed(42);
            float[] a = DropoutMasks.apply(x, 0.3).toFloatArray();
            DropoutMasks.seed(42);
            assertArrayEquals(a, DropoutMasks.apply(x, 0.3).toFloatArray());
            float[] b = DropoutMasks.apply(x, 0.3).toFloatArray(); // the stream moved on
            assertFalse(Arrays.equals(a, b));
            assertSame(x, DropoutMasks.apply(x, 0.0));
            assertThrows(IllegalArgumentException.class, () -> DropoutMasks.apply(x, 1.0));
        }
    }

    /**
     * A seed gives the masks it gave before rows were drawn in parallel (a run resumed or repeated
     * with a later jlora drops the same elements): counts and hashes from the serial implementation,
     * for shapes whose rows end mid-group and one large enough to be drawn in parallel. A member of a
     * data-parallel group drawing one row alone from its position gets that row's mask.
     */
    @Test
    void masksAreThoseOfTheSerialDrawAndEachRowIsItsOwn() {
        long[][] shapes = {{3, 5, 11}, {4, 128, 257}, {1, 7}};
        long[][] expected = {{113, 2439864755214859052L}, {92199, -8125979496928938898L}, {5, -5513532585731824580L}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < shapes.length; i++) {
                NDArray x = m.ones(new Shape(shapes[i]));
                DropoutMasks.seed(1234, 2);
                DropoutMasks.apply(x, 0.3); // the second call's masks: the call count takes part
                float[] mask = DropoutMasks.apply(x, 0.3).toFloatArray();
                long kept = 0;
                long hash = 1125899906842597L;
                for (float v : mask) {
                    int bit = v != 0 ? 1 : 0;
                    kept += bit;
                    hash = 31 * hash + bit;
                }
                assertEquals(expected[i][0], kept, Arrays.toString(shapes[i]));
                assertEquals(expected[i][1], hash, Arrays.toString(shapes[i]));
            }
            Shape whole = new Shape(4, 128, 257);
            DropoutMasks.seed(99, 0);
            float[] all = DropoutMasks.apply(m.ones(whole), 0.3).toFloatArray();
            int perRow = 128 * 257;
            for (int row = 0; row < 4; row++) {
                DropoutMasks.seed(99, row);
                float[] one = DropoutMasks.apply(m.ones(new Shape(1, 128, 257)), 0.3).toFloatArray();
                assertArrayEquals(Arrays.copyOfRange(all, row * perRow, (row + 1) * perRow), one, "row " + row);
            }
        }
    }

    /**
     * The mask autograd keeps for the backward pass is libtorch's own memory, not the reused Java
     * buffer the bits were drawn into: draws after the forward pass must not change the gradient.
     */
    @Test
    void theGradientIsTheMaskEvenAfterLaterDraws() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(4, 300));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                DropoutMasks.seed(3);
                NDArray y = DropoutMasks.apply(x, 0.5);
                float[] forward = y.toFloatArray();
                DropoutMasks.seed(99);
                DropoutMasks.apply(m.ones(new Shape(4, 300)), 0.5); // overwrites the draw buffer
                System.gc();
                gc.backward(y.sum());
                assertArrayEquals(forward, x.getGradient().toFloatArray(), "d(sum(x * mask))/dx = mask");
            }
        }
    }
}
