package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.SafetensorsFile;
import io.jlora.testing.TestFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Our blockwise 4-bit quantization against the golden vectors of bitsandbytes' algorithm
 * (golden/llama-tiny/nf4.safetensors): packed bytes, absmax and double-quantized codes and scales
 * bit for bit, dequantized values within 1e-6.
 */
class GoldenBlockwiseTest {

    private static NDManager manager;
    private static SafetensorsFile golden;
    private static float[] w;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
        golden = SafetensorsFile.open(TestFiles.golden("llama-tiny/nf4.safetensors"));
        w = floats("W");
    }

    @AfterAll
    static void close() {
        golden.close();
        manager.close();
    }

    @Test
    void dynamicMapIsBitsandbytes() {
        assertArrayEquals(floats("dynamic_map"), DynamicMap.signed());
    }

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void packedBytesAndAbsmaxAreIdentical(FourBitType type) {
        PackedFourBit q = FourBitQuantizer.quantize(w, new long[] {256, 256}, new FourBitSpec(type, 64, false));
        String p = type.label() + ".";
        assertArrayEquals(bytes(p + "packed"), q.packed());
        assertArrayEquals(floats(p + "absmax"), q.absmax());
        assertWithin(floats(p + "dequant"), q.dequantize(), 1e-6);
    }

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void doubleQuantizedAbsmaxIsIdentical(FourBitType type) {
        PackedFourBit q = FourBitQuantizer.quantize(w, new long[] {256, 256}, new FourBitSpec(type, 64, true));
        String p = type.label() + ".";
        assertArrayEquals(bytes(p + "packed"), q.packed());
        assertEquals(floats(p + "nested_offset")[0], q.nested().offset());
        assertArrayEquals(bytes(p + "nested_absmax_q"), q.nested().codes());
        assertArrayEquals(floats(p + "nested_absmax_scale"), q.nested().scales());
        assertWithin(floats(p + "dequant_double"), q.dequantize(), 1e-6);
    }

    @Test
    void theOutlierKeepsItsBlockAndOnlyItsBlock() {
        // W[3,5] = 0.5 is the absmax of block (3*256+5)/64 = 12; the others are about 0.02 * 3
        PackedFourBit q = FourBitQuantizer.quantize(w, new long[] {256, 256}, new FourBitSpec(FourBitType.NF4, 64, false));
        assertEquals(0.5f, q.absmax()[12]);
        assertTrue(q.absmax()[11] < 0.2f && q.absmax()[13] < 0.2f);
    }

    static void assertWithin(float[] expected, float[] actual, double tolerance) {
        double diff = TestFiles.maxAbsDiff(expected, actual);
        assertTrue(diff <= tolerance, "max |difference| = " + diff);
    }

    private static float[] floats(String key) {
        return golden.load(key, manager).toFloatArray();
    }

    private static byte[] bytes(String key) {
        NDArray a = golden.load(key, manager);
        assertEquals(DataType.UINT8, a.getDataType());
        return a.toByteArray();
    }
}
