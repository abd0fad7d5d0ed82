package io.jlora.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path tmp;

    private NDManager m;

    @BeforeEach
    void manager() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    @Test
    void everyNativeTypeRoundTrips() throws IOException {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        arrays.put("f32", m.create(new float[] {1.5f, -2f, 3.25f, 0f, 1e-7f, -1e9f}, new Shape(2, 3)));
        arrays.put("f64", m.create(new double[] {Math.PI, -1}));
        arrays.put("f16", m.create(new float[] {0.5f, -8f, 1024f}).toType(DataType.FLOAT16, false));
        arrays.put("i64", m.create(new long[] {Long.MIN_VALUE, 7, Long.MAX_VALUE}));
        arrays.put("i32", m.create(new int[] {-3, 0, Integer.MAX_VALUE}));
        arrays.put("i8", m.create(new byte[] {-128, 5, 127}));
        arrays.put("u8", m.create(new byte[] {(byte) 255, 1}).toType(DataType.UINT8, false));
        arrays.put("bool", m.create(new boolean[] {true, false, true}));
        arrays.put("scalar", m.create(42f));
        arrays.put("empty", m.zeros(new Shape(0, 4)));
        Path f = tmp.resolve("all.safetensors");
        SafetensorsWriter.writeArrays(f, arrays, Map.of("format", "pt"));

        assertEquals(0, headerLength(f) % 8, "header padded to 8 bytes so data is aligned");
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(List.copyOf(arrays.keySet()), List.copyOf(sf.keys()));
            assertEquals("pt", sf.metadata().get("format"));
            for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
                NDArray back = sf.load(e.getKey(), m);
                assertEquals(e.getValue().getDataType(), back.getDataType(), e.getKey());
                assertEquals(e.getValue().getShape(), back.getShape(), e.getKey());
                assertTrue(e.getValue().contentEquals(back), e.getKey());
            }
        }
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
                "not the owner-only mode of temp files");
    }

    @Test
    void bf16IsStoredRoundedAndLoadedAsFloat32() {
        float[] values = {1f, -2.5f, 3.14159265f, 1e-3f, 65504f, -0f, 1.00390625f /* a tie: rounds to even */};
        Path f = tmp.resolve("bf16.safetensors");
        Map<String, TensorData> data = new LinkedHashMap<>();
        data.put("w", TensorData.of(m.create(values), SafetensorsDtype.BF16));
        SafetensorsWriter.write(f, data, null);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(SafetensorsDtype.BF16, sf.info("w").dtype());
            assertEquals(values.length * 2L, sf.info("w").byteLength());
            NDArray back = sf.load("w", m);
            assertEquals(DataType.FLOAT32, back.getDataType());
            float[] expected = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                expected[i] = Float.intBitsToFloat((Bfloat16.round(values[i]) & 0xFFFF) << 16);
            }
            assertArrayEquals(expected, back.toFloatArray());
            assertEquals(1f, expected[6], "ties round to even");
            assertEquals(3.140625f, expected[2]);
        }
    }

    /** Types DJL's engine would abort on arrive widened: I16/U16 as int32, U32 as int64. */
    @Test
    void narrowIntegersAreWidened() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(6 + 6 + 8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) -2).putShort((short) 300).putShort(Short.MAX_VALUE);
        data.putShort((short) 0xFFFF).putShort((short) 1).putShort((short) 0x8000);
        data.putInt(0xFFFFFFFF).putInt(5);
        Path f = RawSafetensors.write(tmp.resolve("ints.safetensors"),
                "{\"i16\":{\"dtype\":\"I16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                        + "\"u16\":{\"dtype\":\"U16\",\"shape\":[3],\"data_offsets\":[6,12]},"
                        + "\"u32\":{\"dtype\":\"U32\",\"shape\":[2],\"data_offsets\":[12,20]}}", data.array());
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertArrayEquals(new int[] {-2, 300, Short.MAX_VALUE}, sf.load("i16", m).toIntArray());
            assertArrayEquals(new int[] {65535, 1, 32768}, sf.load("u16", m).toIntArray());
            assertArrayEquals(new long[] {4294967295L, 5}, sf.load("u32", m).toLongArray());
        }
    }

    /** Tensors larger than one map are read in slices of rows; here the slice limit is forced low. */
    @Test
    void largeTensorsAreLoadedInRowSlices() {
        NDArray big = m.randomNormal(new Shape(37, 5));
        NDArray bf = m.randomNormal(new Shape(11, 3));
        Path f = tmp.resolve("big.safetensors");
        Map<String, TensorData> data = new LinkedHashMap<>();
        data.put("big", TensorData.of(big));
        data.put("bf", TensorData.of(bf, SafetensorsDtype.BF16));
        SafetensorsWriter.write(f, data, null);
        try (SafetensorsFile whole = SafetensorsFile.open(f); SafetensorsFile sliced = SafetensorsFile.open(f, 64)) {
            assertTrue(big.contentEquals(sliced.load("big", m)));
            assertTrue(whole.load("bf", m).contentEquals(sliced.load("bf", m)));
        }
    }

    /** Loaded arrays own their memory: they survive the file being closed and overwritten. */
    @Test
    void arraysOutliveTheFile() {
        Path f = tmp.resolve("w.safetensors");
        NDArray a = m.create(new float[] {1, 2, 3});
        SafetensorsWriter.writeArrays(f, Map.of("a", a), null);
        NDArray loaded;
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            loaded = sf.load("a", m);
        }
        SafetensorsWriter.writeArrays(f, Map.of("a", m.create(new float[] {9, 9, 9})), null);
        assertArrayEquals(new float[] {1, 2, 3}, loaded.toFloatArray());
    }

    /** Reads a file written by Python's safetensors (the golden cases). */
    @Test
    void readsFilesWrittenByPython() {
        try (SafetensorsFile sf = SafetensorsFile.open(TestFiles.golden("llama-tiny/cases.safetensors"))) {
            assertEquals(SafetensorsDtype.I64, sf.info("input_ids").dtype());
            NDArray ids = sf.load("input_ids", m);
            assertEquals(new Shape(2, 16), ids.getShape());
            assertEquals(new Shape(2, 16, 320), sf.load("logits_base", m).getShape());
        }
    }

    private static long headerLength(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
