package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsFile;
import io.jlora.testing.TestFiles;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two dequantization paths (Java for the CPU, DJL ops for any device) give the same floats,
 * bit for bit, and the golden values: both compute code[q] * absmax in float32.
 */
class DequantPathsTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest
    @CsvSource({"nf4, false, dequant", "nf4, true, dequant_double", "fp4, false, dequant", "fp4, true, dequant_double"})
    void bothPathsGiveTheGoldenValues(String type, boolean doubleQuant, String goldenKey) {
        try (SafetensorsFile golden = SafetensorsFile.open(TestFiles.golden("llama-tiny/nf4.safetensors"));
                NDManager m = manager.newSubManager()) {
            float[] w = golden.load("W", m).toFloatArray();
            float[] expected = golden.load(type + "." + goldenKey, m).toFloatArray();
            FourBitWeight q = FourBitWeight.upload(FourBitQuantizer.quantize(w, new long[] {256, 256},
                    new FourBitSpec(FourBitType.parse(type), 64, doubleQuant)), m);
            float[] viaJava = q.dequantize(m, DequantPath.JAVA).toFloatArray();
            float[] viaDjl = q.dequantize(m, DequantPath.DJL_OPS).toFloatArray();
            assertArrayEquals(viaJava, viaDjl);
            GoldenBlockwiseTest.assertWithin(expected, viaJava, 1e-6);
        }
    }

    /** An odd count: the last block is short and the last byte has a spare nibble. */
    @ParameterizedTest
    @CsvSource({"false, 32", "true, 32", "false, 4096", "true, 64"})
    void shortLastBlockAndOddCount(boolean doubleQuant, int blockSize) {
        long[] shape = {37, 51};
        float[] w = gaussian(37 * 51, 3);
        PackedFourBit packed = FourBitQuantizer.quantize(w, shape, new FourBitSpec(FourBitType.NF4, blockSize, doubleQuant));
        try (NDManager m = manager.newSubManager()) {
            FourBitWeight q = FourBitWeight.upload(packed, m);
            float[] reference = packed.dequantize();
            NDArray viaJava = q.dequantize(m, DequantPath.JAVA);
            assertArrayEquals(shape, viaJava.getShape().getShape());
            assertArrayEquals(reference, viaJava.toFloatArray());
            assertArrayEquals(reference, q.dequantize(m, DequantPath.DJL_OPS).toFloatArray());
        }
    }

    /** Many blocks (more than one parallel chunk) and more than 256 blocks for the nested absmax. */
    @Test
    void largeWeightSplitsIntoChunksConsistently() {
        long[] shape = {512, 1024};
        float[] w = gaussian(512 * 1024, 5);
        PackedFourBit packed = FourBitQuantizer.quantize(w, shape, FourBitSpec.qlora());
        try (NDManager m = manager.newSubManager()) {
            FourBitWeight q = FourBitWeight.upload(packed, m);
            assertArrayEquals(q.dequantize(m, DequantPath.DJL_OPS).toFloatArray(), q.dequantize(m, DequantPath.JAVA).toFloatArray());
            assertArrayEquals(packed.dequantize(), q.dequantize(m).toFloatArray());
        }
    }

    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextGaussian() * 0.02);
        }
        return out;
    }
}
