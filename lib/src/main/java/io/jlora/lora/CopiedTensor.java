package io.jlora.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.TensorData;
import io.jlora.io.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * A tensor that a merge leaves unchanged, copied byte for byte from its source file (the kernel
 * copies; nothing is loaded or converted): exact for every dtype, and as fast as {@code cp}.
 */
final class CopiedTensor implements TensorData {

    private final Path file;
    private final TensorInfo info;

    private CopiedTensor(Path file, TensorInfo info) {
        this.file = file;
        this.info = info;
    }

    /** The tensors of a model folder by key, each readable as raw bytes. */
    static Map<String, TensorData> of(Path modelDir, SafetensorsCheckpoint checkpoint) {
        Map<String, Path> files = shardOf(modelDir, checkpoint);
        Map<String, TensorData> out = new HashMap<>();
        for (String key : checkpoint.keys()) {
            out.put(key, new CopiedTensor(files.get(key), checkpoint.info(key)));
        }
        return out;
    }

    /** Which file holds each key: the index's weight_map, or the single model.safetensors. */
    private static Map<String, Path> shardOf(Path dir, SafetensorsCheckpoint checkpoint) {
        Map<String, Path> out = new HashMap<>();
        Path index = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
        if (!Files.exists(index)) {
            checkpoint.keys().forEach(k -> out.put(k, dir.resolve(SafetensorsCheckpoint.SINGLE_FILE)));
            return out;
        }
        try {
            JsonNode map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
            checkpoint.keys().forEach(k -> out.put(k, dir.resolve(map.get(k).asText())));
            return out;
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(index, "weight_map", "unreadable: " + e.getMessage(), e);
        }
    }

    @Override
    public SafetensorsDtype dtype() {
        return info.dtype();
    }

    @Override
    public long[] shape() {
        return info.shape();
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            // the data section starts after the 8-byte header length and the header itself
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (length.hasRemaining()) {
                if (in.read(length, length.position()) < 0) {
                    throw new IOException(file + " is shorter than its header");
                }
            }
            long position = 8 + length.getLong(0) + info.begin();
            long remaining = info.byteLength();
            while (remaining > 0) {
                long n = in.transferTo(position, remaining, out);
                if (n <= 0) {
                    throw new IOException(file + " ends inside " + info.key());
                }
                position += n;
                remaining -= n;
            }
        }
    }
}
