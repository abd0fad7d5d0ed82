package io.jlora.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Hugging Face model folder as {@code save_pretrained} lays it out: config.json, the
 * weights as model.safetensors or, past the shard size, {@code model-0000i-of-0000n.safetensors}
 * shards with {@code model.safetensors.index.json}, and the base folder's generation and tokenizer
 * files copied unchanged. Tensors are {@link TensorData}, produced one at a time while written, so
 * a caller can stream a whole model through without holding it. Everything goes through an
 * {@link OutputFolder}: the folder appears complete or not at all.
 */
final class HfFolderWriter {

    /** transformers' default max_shard_size ("5GB", decimal). */
    static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    /** Files save_pretrained writes beside the weights, copied from the base folder when present. */
    static final List<String> COPIED_FILES = List.of("generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt",
            "added_tokens.json", "chat_template.jinja", "chat_template.json");

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfFolderWriter() {}

    /**
     * Writes the folder into {@code folder}'s temporary place and commits it. Returns the written
     * files' final paths.
     */
    static List<Path> write(OutputFolder folder, ObjectNode config, Path baseDir, Map<String, TensorData> tensors,
            long maxShardBytes) {
        Path dir = folder.temp();
        List<String> names = new ArrayList<>();
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
            names.add("config.json");
            if (baseDir != null) {
                for (String name : COPIED_FILES) {
                    Path source = baseDir.resolve(name);
                    if (Files.isRegularFile(source)) {
                        Files.copy(source, dir.resolve(name));
                        names.add(name);
                    }
                }
            }
        } catch (IOException e) {
            throw new JloraException("cannot write " + folder.out() + ": " + e.getMessage(), e);
        }
        names.addAll(writeWeights(dir, tensors, maxShardBytes));
        folder.commit();
        List<Path> out = new ArrayList<>();
        names.forEach(n -> out.add(folder.out().resolve(n)));
        return out;
    }

    private static List<String> writeWeights(Path dir, Map<String, TensorData> tensors, long maxShardBytes) {
        List<Map<String, TensorData>> shards = new ArrayList<>();
        Map<String, TensorData> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long total = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            long bytes = bytes(e.getValue());
            // as transformers: a tensor that would overflow the shard starts the next one
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
            total += bytes;
        }
        shards.add(current);
        Map<String, String> metadata = Map.of("format", "pt");
        if (shards.size() == 1) {
            SafetensorsWriter.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE), current, metadata);
            return List.of(SafetensorsCheckpoint.SINGLE_FILE);
        }
        List<String> names = new ArrayList<>();
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafetensorsWriter.write(dir.resolve(name), shards.get(i), metadata);
            shards.get(i).keySet().forEach(k -> weightMap.put(k, name));
            names.add(name);
        }
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(SafetensorsCheckpoint.INDEX_FILE).toFile(), index);
        } catch (IOException e) {
            throw new JloraException("cannot write " + SafetensorsCheckpoint.INDEX_FILE + ": " + e.getMessage(), e);
        }
        names.add(SafetensorsCheckpoint.INDEX_FILE);
        return names;
    }

    static long bytes(TensorData t) {
        long n = t.dtype().bytes();
        for (long d : t.shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
