package io.jlora.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.jlora.JloraException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of broken file ends in our exception naming the file (and the tensor), never a crash. */
class SafetensorsBadInputTest {

    @TempDir
    Path tmp;

    private static final String GOOD = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]}}";

    @Test
    void missingFile() {
        Path f = tmp.resolve("nope.safetensors");
        ModelFormatException e = fails(() -> SafetensorsFile.open(f), f, null);
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void missingModelFolderWeights() {
        fails(() -> SafetensorsCheckpoint.open(tmp), tmp.resolve("model.safetensors"), null);
    }

    @Test
    void fileShorterThanLengthField() throws IOException {
        Path f = Files.write(tmp.resolve("tiny.safetensors"), new byte[] {1, 2, 3});
        assertTrue(fails(() -> SafetensorsFile.open(f), f, null).getMessage().contains("truncated"));
    }

    @Test
    void headerLongerThanFile() throws IOException {
        Path f = RawSafetensors.withHeaderLength(tmp.resolve("h.safetensors"), 1000, 10);
        assertTrue(fails(() -> SafetensorsFile.open(f), f, null).getMessage().contains("truncated"));
    }

    @Test
    void headerTooLarge() throws IOException {
        Path f = RawSafetensors.withHeaderLength(tmp.resolve("huge.safetensors"), 1L << 40, 16);
        assertTrue(fails(() -> SafetensorsFile.open(f), f, null).getMessage().contains("header length"));
        Path g = RawSafetensors.withHeaderLength(tmp.resolve("neg.safetensors"), -5, 16);
        fails(() -> SafetensorsFile.open(g), g, null);
    }

    @Test
    void headerNotJson() throws IOException {
        Path f = RawSafetensors.write(tmp.resolve("j.safetensors"), "{\"a\": [", 0);
        assertTrue(fails(() -> SafetensorsFile.open(f), f, null).getMessage().contains("JSON"));
    }

    @Test
    void truncatedData() throws IOException {
        Path f = RawSafetensors.write(tmp.resolve("t.safetensors"), GOOD, 40);
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
            c.truncate(c.size() - 10); // cuts into tensor b
        }
        ModelFormatException e = fails(() -> SafetensorsFile.open(f), f, "b");
        assertTrue(e.getMessage().contains("past the data section"), e.getMessage());
    }

    @Test
    void offsetsOverlap() throws IOException {
        Path f = RawSafetensors.write(tmp.resolve("ov.safetensors"),
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);
        assertTrue(fails(() -> SafetensorsFile.open(f), f, "y").getMessage().contains("overlap"));
    }

    /**
     * Headers of one tensor {@code w} that lie about it: opening the file fails naming the file and
     * {@code w}, and where a reason is listed, the message says it.
     */
    static Stream<Arguments> lyingTensorEntries() {
        return Stream.of(
                lie("offsets out of range", "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[100,116]}", 16),
                lie("offsets reversed", "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}", 16),
                lie("shape disagrees with byte range", "{\"dtype\":\"F32\",\"shape\":[3,3],\"data_offsets\":[0,24]}", 24,
                        "needs 36 bytes"),
                lie("dtype disagrees with byte range", "{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[0,24]}", 24),
                lie("shape overflow", "{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,16]}", 16),
                lie("negative shape", "{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}", 16),
                lie("unknown dtype", "{\"dtype\":\"Q4_K\",\"shape\":[4],\"data_offsets\":[0,16]}", 16, "Q4_K", "BF16"),
                lie("missing dtype", "{\"shape\":[4],\"data_offsets\":[0,16]}", 16),
                lie("missing offsets", "{\"dtype\":\"F32\",\"shape\":[4]}", 16));
    }

    private static Arguments lie(String what, String entry, int dataBytes, String... saying) {
        return Arguments.of(what, entry, dataBytes, List.of(saying));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lyingTensorEntries")
    void lyingTensorEntryFailsAtOpen(String what, String entry, int dataBytes, List<String> saying) throws IOException {
        Path f = RawSafetensors.write(tmp.resolve("w.safetensors"), "{\"w\":" + entry + "}", dataBytes);
        ModelFormatException e = fails(() -> SafetensorsFile.open(f), f, "w");
        for (String reason : saying) {
            assertTrue(e.getMessage().contains(reason), what + ": " + e.getMessage());
        }
    }

    @Test
    void knownButUnloadableDtype() throws IOException {
        Path f = RawSafetensors.write(tmp.resolve("f8.safetensors"),
                "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            fails(() -> sf.load("w", m), f, "w");
        }
    }

    @Test
    void absentTensor() throws IOException {
        Path f = RawSafetensors.write(tmp.resolve("a.safetensors"), GOOD, 40);
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            fails(() -> sf.load("zzz", m), f, "zzz");
        }
    }

    /** A file cut short after it was opened: still an exception, not SIGBUS. */
    @Test
    void fileShrinksAfterOpen() throws IOException {
        Path f = RawSafetensors.write(tmp.resolve("shrink.safetensors"), GOOD, 40);
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                c.truncate(c.size() - 16);
            }
            fails(() -> sf.load("b", m), f, "b");
        }
    }

    @Test
    void shardedIndexProblems() throws IOException {
        Path shard = RawSafetensors.write(tmp.resolve("model-00001-of-00002.safetensors"), GOOD, 40);
        Path index = tmp.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                + "\"c\":\"model-00001-of-00002.safetensors\",\"d\":\"model-00002-of-00002.safetensors\"}}");
        try (SafetensorsCheckpoint cp = SafetensorsCheckpoint.open(tmp); NDManager m = NDManager.newBaseManager()) {
            assertEquals(6, cp.load("a", m).size());
            fails(() -> cp.load("c", m), shard, "c");
            fails(() -> cp.load("d", m), tmp.resolve("model-00002-of-00002.safetensors"), "d");
            fails(() -> cp.load("e", m), index, "e");
        }
        Files.writeString(index, "{\"metadata\":{}}");
        fails(() -> SafetensorsCheckpoint.open(tmp), index, "weight_map");
    }

    @Test
    void failedWriteLeavesNoFileBehind() throws IOException {
        Path f = tmp.resolve("out.safetensors");
        Map<String, TensorData> bad = new LinkedHashMap<>();
        bad.put("x", new TensorData() {
            public SafetensorsDtype dtype() {
                return SafetensorsDtype.F32;
            }

            public long[] shape() {
                return new long[] {4};
            }

            public void writeTo(java.nio.channels.WritableByteChannel out) throws IOException {
                throw new IOException("disk on fire");
            }
        });
        assertThrows(JloraException.class, () -> SafetensorsWriter.write(f, bad, null));
        try (var files = Files.list(tmp)) {
            assertEquals(0, files.count(), "neither the target nor a temp file may remain");
        }
    }

    private static ModelFormatException fails(Executable call, Path file, String key) {
        ModelFormatException e = assertThrows(ModelFormatException.class, call);
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        assertEquals(file, e.file());
        if (key != null) {
            assertTrue(e.getMessage().contains("[" + key + "]"), "message names the key: " + e.getMessage());
            assertEquals(key, e.key());
        }
        return e;
    }
}
