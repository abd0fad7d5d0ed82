package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.jlora.model.autograd.GradRecording;
import io.jlora.model.Linear;
import io.jlora.testing.TestFiles;
import org.junit.jupiter.api.Test;

/** The 4-bit projection: its forward, its memory discipline, and training through it. */
class QuantizedLinearTest {

    private static final long OUT = 64;
    private static final long IN = 128;

    @Test
    void forwardIsTheDequantizedMatmulPlusBias() {
        try (NDManager m = NDManager.newBaseManager()) {
            PackedFourBit packed = FourBitQuantizer.quantize(DequantPathsTest.gaussian((int) (OUT * IN), 1),
                    new long[] {OUT, IN}, FourBitSpec.qlora());
            NDArray bias = m.randomNormal(new Shape(OUT));
            QuantizedLinear layer = new QuantizedLinear("p", FourBitWeight.upload(packed, m), bias);
            NDArray x = m.randomNormal(new Shape(2, 3, IN));
            NDArray w = m.create(packed.dequantize(), new Shape(OUT, IN));
            NDArray expected = x.matMul(w.transpose()).add(bias);
            assertTrue(TestFiles.maxAbsDiff(expected, layer.forward(x)) < 1e-5);
            assertEquals(IN, layer.inFeatures());
            assertEquals(OUT, layer.outFeatures());
        }
    }

    /**
     * With recording off and a shared buffer, forward and input gradient run a block of rows at a
     * time (here 6 rows of 96 columns a block, 70 rows: a partial last block; 96 columns of blocks
     * of 64 make each block of rows start on a quantization block only at even rows): same results
     * as the whole dequantized weight, and the buffer is the one array the model's manager gains.
     */
    @Test
    void rowBlocksInTheSharedBufferGiveTheWholeWeightsResults() {
        long out = 70;
        long in = 96;
        assertEquals(6, QuantizedLinear.rowsPerBlock(in, 64, 6 * 96 * 4 + 100));
        assertEquals(2, QuantizedLinear.rowsPerBlock(in, 64, 4), "at least the rows of whole quantization blocks");
        try (NDManager m = NDManager.newBaseManager(); GradRecording.Scope off = GradRecording.off()) {
            PackedFourBit packed = FourBitQuantizer.quantize(DequantPathsTest.gaussian((int) (out * in), 3),
                    new long[] {out, in}, FourBitSpec.qlora());
            NDArray bias = m.randomNormal(new Shape(out));
            QuantizedLinear layer = new QuantizedLinear("p", FourBitWeight.upload(packed, m), bias,
                    new WeightScratch(6 * 96 * 4 + 100));
            int modelArrays = managed(m);
            NDArray w = m.create(packed.dequantize(), new Shape(out, in));
            NDArray wt = w.transpose();
            try (NDManager step = m.newSubManager()) {
                NDArray x = step.randomNormal(new Shape(2, 5, in));
                NDArray dy = step.randomNormal(new Shape(2, 5, out));
                for (int repeat = 0; repeat < 3; repeat++) {
                    assertTrue(TestFiles.maxAbsDiff(x.matMul(wt).add(bias), layer.forward(x)) < 1e-5);
                    assertTrue(TestFiles.maxAbsDiff(dy.matMul(w), layer.inputGradient(dy)) < 1e-5);
                }
            }
            assertEquals(modelArrays + 3, managed(m), "w and its transpose made here, and the shared buffer");
        }
    }

    @Test
    void theDequantizedWeightDoesNotOutliveTheForward() {
        try (NDManager model = NDManager.newBaseManager()) {
            QuantizedLinear layer = new QuantizedLinear("p", FourBitWeight.upload(FourBitQuantizer.quantize(
                    DequantPathsTest.gaussian((int) (OUT * IN), 2), new long[] {OUT, IN}, FourBitSpec.qlora()), model), null);
            int modelArrays = managed(model);
            try (NDManager step = model.newSubManager()) {
                NDArray x = step.randomNormal(new Shape(4, IN));
                int stepArrays = managed(step);
                NDArray y = layer.forward(x);
                assertEquals(stepArrays + 1, managed(step), "only the output is left in the step's manager");
                assertEquals(y.getManager(), step);
            }
            assertEquals(modelArrays, managed(model), "nothing was added to the weights' manager");
        }
    }

    /**
     * A LoRA-like pair y = Q(x) + 2 B A x over a frozen 4-bit base learns a low-rank target: the
     * loss falls, only A and B move, the packed bytes stay as they were, and the steps leak nothing.
     */
    @Test
    void trainingALowRankPairOnTopLowersTheLossAndLeavesThePackedBytes() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            QuantizedLinear base = QuantizedLinear.quantize("p",
                    m.create(DequantPathsTest.gaussian((int) (OUT * IN), 3), new Shape(OUT, IN)), null, FourBitSpec.qlora());
            byte[] packedBefore = base.quantized().packed().toByteArray();
            byte[] absmaxBefore = base.quantized().nestedCodes().toByteArray();
            NDArray a = m.randomNormal(0, 0.1f, new Shape(4, IN), ai.djl.ndarray.types.DataType.FLOAT32);
            NDArray b = m.zeros(new Shape(OUT, 4));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            NDArray x = m.randomNormal(new Shape(32, IN));
            NDArray delta = m.randomNormal(0, 0.05f, new Shape(OUT, 4), ai.djl.ndarray.types.DataType.FLOAT32)
                    .matMul(m.randomNormal(0, 0.05f, new Shape(4, IN), ai.djl.ndarray.types.DataType.FLOAT32));
            NDArray target = base.forward(x).add(x.matMul(delta.transpose()));
            int arrays = managed(m);
            float first = 0;
            float last = 0;
            for (int step = 0; step < 60; step++) {
                try (NDManager s = m.newSubManager()) {
                    float loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray input = x.duplicate();
                        input.attach(s);
                        NDArray low = ai.djl.nn.core.Linear.linear(input, a, null).singletonOrThrow();
                        NDArray y = base.forward(input).add(ai.djl.nn.core.Linear.linear(low, b, null).singletonOrThrow().mul(2f));
                        NDArray l = y.sub(target).square().mean();
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    for (NDArray p : new NDArray[] {a, b}) {
                        NDArray g = p.getGradient();
                        g.attach(s);
                        p.subi(g.mul(5f));
                        g.subi(g); // torch accumulates gradients: zero them for the next step
                    }
                    if (step == 0) {
                        first = loss;
                    }
                    last = loss;
                }
            }
            assertTrue(last < 0.2 * first, "loss " + first + " -> " + last);
            assertArrayEquals(packedBefore, base.quantized().packed().toByteArray());
            assertArrayEquals(absmaxBefore, base.quantized().nestedCodes().toByteArray());
            assertFalse(base.quantized().packed().hasGradient());
            assertEquals(arrays, managed(m), "every array of the steps was closed with them");
        }
    }

    @Test
    void weightIsADequantizedCopyOfTheRightShape() {
        try (NDManager m = NDManager.newBaseManager()) {
            PackedFourBit packed = FourBitQuantizer.quantize(DequantPathsTest.gaussian((int) (OUT * IN), 4),
                    new long[] {OUT, IN}, new FourBitSpec(FourBitType.FP4, 128, false));
            Linear layer = new QuantizedLinear("p", FourBitWeight.upload(packed, m), null);
            try (NDArray w = layer.weight()) {
                assertEquals(new Shape(OUT, IN), w.getShape());
                assertArrayEquals(packed.dequantize(), w.toFloatArray());
            }
        }
    }

    static int managed(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }
}
