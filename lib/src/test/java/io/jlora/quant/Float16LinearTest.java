package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.testing.TestFiles;
import org.junit.jupiter.api.Test;

class Float16LinearTest {

    @Test
    void storesTwoBytesAParameterAndComputesInTheInputType() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(DequantPathsTest.gaussian(32 * 40, 9), new Shape(32, 40));
            Float16Linear layer = Float16Linear.narrow("p", w, null);
            assertEquals(DataType.FLOAT16, layer.weight16().getDataType());
            assertEquals(2L * 32 * 40, layer.weight16().getShape().size() * layer.weight16().getDataType().getNumOfBytes());
            NDArray x = m.randomNormal(new Shape(5, 40));
            try (NDManager step = m.newSubManager()) {
                NDArray input = x.duplicate();
                input.attach(step);
                int before = QuantizedLinearTest.managed(step);
                NDArray y = layer.forward(input);
                assertEquals(DataType.FLOAT32, y.getDataType());
                assertEquals(before + 1, QuantizedLinearTest.managed(step), "the widened weight was closed");
                // float16 keeps 11 significant bits: relative error about 5e-4 per weight
                assertTrue(TestFiles.maxAbsDiff(x.matMul(w.transpose()), y) < 1e-3);
            }
        }
    }
}
