package io.jlora.model.autograd;

import io.jlora.model.CausalLmLoss;
import io.jlora.model.ChunkedLinear;
import io.jlora.model.Linear;
import io.jlora.model.autograd.VocabChunkedLoss;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * The head's loss and input gradient computed in vocabulary blocks equal the whole-logits
 * computation under autograd: same loss within 1e-6, same gradient, ignored labels and a partial
 * last block included, for float32 and float16 heads.
 */
class VocabChunkedLossTest {

    private static final long VOCAB = 301; // not a multiple of the block rows: a partial last block
    private static final long HIDDEN = 16;

    @Test
    void float32HeadMatchesWholeLogits() {
        check(DataType.FLOAT32);
    }

    @Test
    void float16HeadMatchesWholeLogitsOfTheWidenedHead() {
        check(DataType.FLOAT16);
    }

    @Test
    void chunkedLinearEqualsOneWidening() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray x = m.randomNormal(new Shape(2, 5, HIDDEN));
            NDArray w16 = m.randomNormal(0, 0.1f, new Shape(VOCAB, HIDDEN), DataType.FLOAT32).toType(DataType.FLOAT16, false);
            NDArray whole = ai.djl.nn.core.Linear.linear(x, w16.toType(DataType.FLOAT32, true), null).singletonOrThrow();
            // 20 rows a block: 16 blocks, the last one partial
            NDArray blocks = ChunkedLinear.forward(x, w16, null, 20 * 4 * HIDDEN);
            assertEquals(whole.getShape(), blocks.getShape());
            assertEquals(0f, whole.sub(blocks).abs().max().getFloat(), 1e-6f);
        }
    }

    private static void check(DataType headType) {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            NDArray hidden = m.randomNormal(new Shape(2, 9, HIDDEN));
            NDArray weight = m.randomNormal(0, 0.5f, new Shape(VOCAB, HIDDEN), DataType.FLOAT32).toType(headType, false);
            long[][] labels = new long[2][9];
            long counted = 0;
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 9; t++) {
                    boolean ignored = (b == 0 && t < 3) || (b == 1 && t == 8);
                    labels[b][t] = ignored ? CausalLmLoss.IGNORE_INDEX : (b * 97L + t * 31L) % VOCAB;
                    counted += ignored || t == 0 ? 0 : 1;
                }
            }
            // the target in the last row of the vocabulary: the partial block's edge
            labels[1][5] = VOCAB - 1;
            NDArray labelArray = m.create(labels);
            double scale = 1.0 / counted;

            float wholeLoss;
            NDArray wholeGrad;
            NDArray leaf = hidden.duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = ai.djl.nn.core.Linear.linear(leaf, weight.toType(DataType.FLOAT32, true), null)
                        .singletonOrThrow();
                NDArray loss = CausalLmLoss.tokenLosses(logits, labelArray).sum().mul((float) scale);
                wholeLoss = loss.getFloat();
                gc.backward(loss);
                wholeGrad = leaf.getGradient().duplicate();
            }

            // 13 rows a block: 24 blocks, the last one partial
            VocabChunkedLoss.Result r = VocabChunkedLoss.sumAndGradient(hidden, weight, labelArray, scale,
                    13 * 4 * HIDDEN);
            assertTrue(Math.abs(wholeLoss - r.loss()) <= 1e-6, wholeLoss + " vs " + r.loss());
            assertTrue(wholeLoss > 1, "a real loss: " + wholeLoss);
            assertEquals(wholeGrad.getShape(), r.hiddenGradient().getShape());
            float maxGrad = wholeGrad.abs().max().getFloat();
            assertTrue(maxGrad > 1e-3, "a real gradient: " + maxGrad);
            assertEquals(0f, wholeGrad.sub(r.hiddenGradient()).abs().max().getFloat(), 1e-6f);
            // the last position predicts nothing: no gradient there
            assertEquals(0f, r.hiddenGradient().get(":, -1, :").abs().max().getFloat(), 0f);
        }
    }
}
