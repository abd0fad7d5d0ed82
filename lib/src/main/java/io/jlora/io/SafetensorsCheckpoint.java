package io.jlora.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face model folder: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Shards are opened when first needed and kept open until
 * {@link #close()}; tensors are loaded one at a time (see {@link SafetensorsFile}).
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path source;
    private final Map<String, Path> keyToFile;
    private final Map<Path, SafetensorsFile> open = new LinkedHashMap<>();

    private SafetensorsCheckpoint(Path source, Map<String, Path> keyToFile) {
        this.source = source;
        this.keyToFile = keyToFile;
    }

    /**
     * Opens a model folder (single file or sharded), a single {@code .safetensors} file, or an
     * index file.
     */
    public static SafetensorsCheckpoint open(Path path) {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX_FILE);
            if (Files.exists(index)) {
                return fromIndex(index);
            }
            Path single = path.resolve(SINGLE_FILE);
            if (!Files.exists(single)) {
                throw new ModelFormatException(single, null, "file not found (nor " + INDEX_FILE + ")");
            }
            return fromFile(single);
        }
        if (path.getFileName().toString().endsWith(".index.json")) {
            return fromIndex(path);
        }
        return fromFile(path);
    }

    private static SafetensorsCheckpoint fromFile(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, Path> map = new LinkedHashMap<>();
        for (String k : f.keys()) {
            map.put(k, file);
        }
        SafetensorsCheckpoint c = new SafetensorsCheckpoint(file, Collections.unmodifiableMap(map));
        c.open.put(file, f);
        return c;
    }

    private static SafetensorsCheckpoint fromIndex(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            if (!Files.exists(index)) {
                throw new ModelFormatException(index, null, "file not found");
            }
            throw new ModelFormatException(index, null, "not valid JSON: " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new ModelFormatException(index, "weight_map", "missing or not an object");
        }
        Map<String, Path> map = new LinkedHashMap<>();
        Path dir = index.toAbsolutePath().getParent();
        weightMap.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(index, e.getKey(), "weight_map value is not a file name");
            }
            Path shard;
            try {
                shard = dir.resolve(e.getValue().asText()).normalize();
            } catch (InvalidPathException bad) {
                throw new ModelFormatException(index, e.getKey(), "weight_map value is not a usable file name: "
                        + bad.getMessage(), bad);
            }
            if (!shard.startsWith(dir)) {
                throw new ModelFormatException(index, e.getKey(), "shard " + e.getValue().asText() + " is outside the folder");
            }
            map.put(e.getKey(), shard);
        });
        return new SafetensorsCheckpoint(index, Collections.unmodifiableMap(map));
    }

    /** The file or index this checkpoint was opened from. */
    public Path source() {
        return source;
    }

    public Set<String> keys() {
        return keyToFile.keySet();
    }

    public boolean contains(String key) {
        return keyToFile.containsKey(key);
    }

    /** The header entry of {@code key}, opening its shard if needed. */
    public TensorInfo info(String key) {
        return fileOf(key).info(key);
    }

    /** Loads one tensor; see {@link SafetensorsFile#load}. */
    public NDArray load(String key, NDManager target) {
        return fileOf(key).load(key, target);
    }

    /** Loads one tensor converted to the floating type {@code as}; see {@link SafetensorsFile#load(String, NDManager, DataType)}. */
    public NDArray load(String key, NDManager target, DataType as) {
        return fileOf(key).load(key, target, as);
    }

    private SafetensorsFile fileOf(String key) {
        Path file = keyToFile.get(key);
        if (file == null) {
            throw new ModelFormatException(source, key, "no such tensor in the checkpoint");
        }
        SafetensorsFile f = open.get(file);
        if (f == null) {
            try {
                f = SafetensorsFile.open(file);
            } catch (ModelFormatException e) {
                // say which tensor needed the shard, so that a broken index is easy to trace
                throw new ModelFormatException(file, key, "shard listed in " + source.getFileName()
                        + " is unusable: " + e.getMessage(), e);
            }
            open.put(file, f);
        }
        if (!f.contains(key)) {
            throw new ModelFormatException(file, key, "listed in " + source.getFileName() + " but absent from this shard");
        }
        return f;
    }

    @Override
    public void close() {
        open.values().forEach(SafetensorsFile::close);
        open.clear();
    }
}
