package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsFile;
import io.jlora.testing.TestFiles;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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

    /**
     * The raw stores into the output's memory and the heap-chunk copy give the same floats, from the
     * start of a weight and from a later block (rows of a larger one), over several parallel chunks
     * with an odd count, and write nothing past the count.
     */
    @ParameterizedTest
    @CsvSource({"0, 150001", "0, 64", "64, 131073", "3, 7"})
    void rawStoresEqualTheChunkCopyAndStayWithinTheCount(int firstBlock, int count) {
        assumeTrue(RawFloatStores.usable(), "raw stores are off on this JVM");
        int blockSize = 64;
        int total = firstBlock * blockSize + count;
        PackedFourBit packed = FourBitQuantizer.quantize(gaussian(total, 11), new long[] {total},
                new FourBitSpec(FourBitType.NF4, blockSize, false));
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(packed.packed(), firstBlock * blockSize / 2,
                (count + 1) / 2).slice();
        float[][] results = new float[2][];
        for (int raw = 0; raw < 2; raw++) {
            FloatBuffer out = java.nio.ByteBuffer.allocateDirect(4 * (count + 9)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int i = 0; i < count + 9; i++) {
                out.put(i, Float.NaN);
            }
            FourBitDequantizer.dequantize(bytes, packed.absmax(), firstBlock, FourBitType.NF4.code(), blockSize, count, out,
                    raw == 1);
            results[raw] = new float[count + 9];
            out.get(0, results[raw]);
            for (int i = count; i < count + 9; i++) {
                assertTrue(Float.isNaN(results[raw][i]), "value " + i + " past the count was written");
            }
        }
        assertArrayEquals(results[0], results[1]);
        float[] reference = packed.dequantize();
        assertArrayEquals(java.util.Arrays.copyOfRange(reference, firstBlock * blockSize, total),
                java.util.Arrays.copyOf(results[1], count));
    }

    /** A direct output in the other byte order takes the buffer path: the same values, no error. */
    @Test
    void aDirectOutputInTheOtherByteOrderIsFilledThroughTheBuffer() {
        int count = 4097;
        PackedFourBit packed = FourBitQuantizer.quantize(gaussian(count, 13), new long[] {count},
                new FourBitSpec(FourBitType.NF4, 64, false));
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        FloatBuffer out = java.nio.ByteBuffer.allocateDirect(4 * count).order(other).asFloatBuffer();
        FourBitDequantizer.dequantize(java.nio.ByteBuffer.wrap(packed.packed()), packed.absmax(), FourBitType.NF4.code(), 64,
                count, out);
        float[] got = new float[count];
        out.get(0, got);
        assertArrayEquals(packed.dequantize(), got);
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
