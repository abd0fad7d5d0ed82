package io.jlora.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a safetensors file: header first, then each tensor's bytes in the given order.
 *
 * <p>The file is written through {@link AtomicFiles} (a temporary name, renamed into place at the
 * end), so a crash or an error mid-way never leaves a half-written model where a good one was.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    /** Writes arrays in their own types. */
    public static void writeArrays(Path file, Map<String, NDArray> arrays, Map<String, String> metadata) {
        Map<String, TensorData> data = new LinkedHashMap<>();
        arrays.forEach((k, v) -> data.put(k, TensorData.of(v)));
        write(file, data, metadata);
    }

    /** Writes {@code tensors} (in iteration order) and optional string metadata to {@code file}. */
    public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata) {
        AtomicFiles.write(file, out -> {
            TensorData.writeAll(out, header(tensors, metadata));
            CrashTestPoints.reach(CrashTestPoints.SAFETENSORS_HEADER);
            for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
                long before = out.position();
                e.getValue().writeTo(out);
                long expected = byteLength(e.getValue());
                if (out.position() - before != expected) {
                    throw new ModelFormatException(file, e.getKey(), "wrote " + (out.position() - before)
                            + " bytes, expected " + expected);
                }
            }
        });
        CrashTestPoints.reach(CrashTestPoints.SAFETENSORS_RENAMED);
    }

    private static long byteLength(TensorData t) {
        long n = t.dtype().bytes();
        for (long d : t.shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** 8-byte length, then the JSON padded with spaces so that the data starts 8-byte aligned. */
    static ByteBuffer header(Map<String, TensorData> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            TensorData t = e.getValue();
            ObjectNode entry = root.putObject(e.getKey());
            entry.put("dtype", t.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long length = byteLength(t);
            entry.putArray("data_offsets").add(offset).add(offset + length);
            offset += length;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(json);
        while (buf.hasRemaining()) {
            buf.put((byte) ' ');
        }
        buf.flip();
        return buf;
    }
}
