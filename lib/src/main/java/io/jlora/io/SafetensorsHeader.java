package io.jlora.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and checked header of a safetensors file.
 *
 * <p>Layout: 8 bytes little-endian header length N, N bytes of JSON, then the data section. Every
 * claim of the JSON is checked against the file before any byte of data is touched, because a
 * mapped read past the end of a file kills the JVM with SIGBUS instead of throwing.
 */
public final class SafetensorsHeader {

    /** Same cap as the reference implementation: a larger header is a corrupt or hostile file. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsHeader(long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Absolute file offset where the data section begins. */
    public long dataStart() {
        return dataStart;
    }

    /** Tensors in the order of their data in the file. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The optional {@code __metadata__} string map. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Reads and validates the header of {@code file} through {@code channel}. */
    public static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new ModelFormatException(file, null,
                    "truncated safetensors file: " + fileSize + " bytes, fewer than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, null, "safetensors header length " + Long.toUnsignedString(headerLen)
                    + " is outside [2, " + MAX_HEADER_BYTES + "]: not a safetensors file, or corrupt");
        }
        if (8 + headerLen > fileSize) {
            throw new ModelFormatException(file, null, "truncated safetensors file: header claims " + headerLen
                    + " bytes but the file has only " + (fileSize - 8) + " after the length");
        }
        ByteBuffer json = ByteBuffer.allocate((int) headerLen);
        readFully(channel, json, 8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(json.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "safetensors header is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, null, "safetensors header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataLength = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
            } else {
                list.add(parseEntry(file, e.getKey(), e.getValue(), dataLength));
            }
        }
        list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        checkNoOverlap(file, list);
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo t : list) {
            tensors.put(t.key(), t);
        }
        return new SafetensorsHeader(dataStart, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseEntry(Path file, String key, JsonNode node, long dataLength) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, key, "header entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(file, key, "header entry has no dtype");
        }
        SafetensorsDtype dtype = SafetensorsDtype.parse(dtypeNode.asText());
        if (dtype == null) {
            throw new ModelFormatException(file, key, "unknown dtype '" + dtypeNode.asText()
                    + "'; known: " + SafetensorsDtype.names());
        }
        long[] shape = longArray(file, key, node.get("shape"), "shape", -1);
        long[] offsets = longArray(file, key, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new ModelFormatException(file, key, "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataLength) {
            throw new ModelFormatException(file, key, "data_offsets [" + begin + ", " + end
                    + "] run past the data section of " + dataLength + " bytes (truncated file or lying header)");
        }
        TensorInfo info = new TensorInfo(key, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(info.elementCount(), dtype.bytes());
        } catch (ArithmeticException ex) {
            throw new ModelFormatException(file, key, "shape " + Arrays.toString(shape) + " overflows");
        }
        if (expected != end - begin) {
            throw new ModelFormatException(file, key, "shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + expected + " bytes but data_offsets give " + (end - begin));
        }
        return info;
    }

    private static long[] longArray(Path file, String key, JsonNode node, String field, int length) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new ModelFormatException(file, key, "header field " + field + " is missing or malformed: " + node);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new ModelFormatException(file, key, "header field " + field + " must hold non-negative integers: " + node);
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private static void checkNoOverlap(Path file, List<TensorInfo> sorted) {
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (previous != null && t.begin() < previous.end() && t.byteLength() > 0) {
                throw new ModelFormatException(file, t.key(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] overlap those of " + previous.key());
            }
            if (t.byteLength() > 0) {
                previous = t;
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }
}
