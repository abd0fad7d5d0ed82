package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.testing.TestFiles;
import org.junit.jupiter.api.Test;

/** Row-wise absmax int8: the round-trip error bound and the layer built on it. */
class Int8Test {

    private static final int ROWS = 48;
    private static final int COLS = 96;

    @Test
    void roundTripErrorIsAtMostHalfAStepPerRow() {
        float[] w = DequantPathsTest.gaussian(ROWS * COLS, 7);
        w[5 * COLS + 7] = 0.9f; // an outlier widens only its own row's step
        PackedInt8 q = Int8Quantizer.quantize(w, ROWS, COLS);
        float[] back = q.dequantize();
        for (int r = 0; r < ROWS; r++) {
            float step = q.rowAbsmax()[r] / 127f;
            int extremes = 0;
            for (int c = 0; c < COLS; c++) {
                int i = r * COLS + c;
                double error = Math.abs(w[i] - back[i]);
                assertTrue(error <= step / 2 * (1 + 1e-5), "row " + r + " col " + c + ": error " + error + " > step/2 " + step / 2);
                extremes += Math.abs(q.codes()[i]) == 127 ? 1 : 0;
            }
            assertTrue(extremes >= 1, "each row's absmax maps to +-127");
        }
        assertEquals(0.9f, q.rowAbsmax()[5]);
        assertEquals(127, q.codes()[5 * COLS + 7]);
    }

    @Test
    void zeroRowsStayZero() {
        PackedInt8 q = Int8Quantizer.quantize(new float[2 * 4], 2, 4);
        for (float v : q.dequantize()) {
            assertEquals(0f, v);
        }
    }

    @Test
    void layerForwardUsesTheDequantizedWeightAndLeavesNothingBehind() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(DequantPathsTest.gaussian(ROWS * COLS, 8), new Shape(ROWS, COLS));
            NDArray bias = m.randomNormal(new Shape(ROWS));
            Int8Linear layer = Int8Linear.quantize("p", w, bias);
            assertEquals(DataType.INT8, layer.codes().getDataType());
            NDArray x = m.randomNormal(new Shape(3, COLS));
            float[] back = Int8Quantizer.quantize(w.toFloatArray(), ROWS, COLS).dequantize();
            NDArray expected = x.matMul(m.create(back, new Shape(ROWS, COLS)).transpose()).add(bias);
            try (NDManager step = m.newSubManager()) {
                NDArray input = x.duplicate();
                input.attach(step);
                int before = QuantizedLinearTest.managed(step);
                NDArray y = layer.forward(input);
                assertEquals(before + 1, QuantizedLinearTest.managed(step));
                assertTrue(TestFiles.maxAbsDiff(expected, y) < 1e-5);
                // and the float weight itself is within the bound
                assertTrue(TestFiles.maxAbsDiff(w, layer.weight()) <= layer.rowAbsmax().max().getFloat() / 254 * 1.00001);
            }
        }
    }
}
