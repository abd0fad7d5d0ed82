package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsFile;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A training checkpoint folder, {@code checkpoint-STEP}:
 * <ul>
 *   <li>{@code trainable.safetensors}: the trainable arrays by name;
 *   <li>{@code optimizer.safetensors}: AdamW's exp_avg / exp_avg_sq by parameter name;
 *   <li>{@code trainer_state.json}: step, optimizer steps, data position (epoch, offset), seed (from
 *       which dropout and data order follow), the schedule and the log history;
 *   <li>whatever the model writes itself (a PEFT adapter: adapter_config.json, adapter_model.safetensors).
 * </ul>
 * It is written into a temporary folder beside the target, then renamed, so a crash never leaves
 * a half-written checkpoint under the final name.
 */
final class Checkpoint {

    static final String TRAINABLE = "trainable.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    static final String STATE = "trainer_state.json";
    static final String PREFIX = "checkpoint-";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    /** Writes checkpoint {@code step} under {@code outputDir}; returns its folder. */
    static Path write(Path outputDir, long step, Map<String, NDArray> trainable, Map<String, NDArray> optimizer,
            ObjectNode state, TrainableModel model, NDManager scratch) {
        Path target = outputDir.resolve(PREFIX + step);
        Path tmp = outputDir.resolve("." + PREFIX + step + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(outputDir);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            try (NDManager m = scratch.newSubManager()) {
                SafetensorsWriter.write(tmp.resolve(TRAINABLE), tensors(trainable, m), Map.of("format", "pt"));
                SafetensorsWriter.write(tmp.resolve(OPTIMIZER), tensors(optimizer, m), Map.of("format", "pt"));
            }
            model.save(tmp);
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(STATE).toFile(), state);
            deleteTree(target);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            return target;
        } catch (IOException e) {
            throw new JloraException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /** Removes the oldest checkpoints beyond {@code keep}. */
    static void prune(Path outputDir, int keep) {
        if (keep <= 0) {
            return;
        }
        List<Path> all = list(outputDir);
        for (int i = 0; i < all.size() - keep; i++) {
            try {
                deleteTree(all.get(i));
            } catch (IOException e) {
                throw new JloraException("cannot remove old checkpoint " + all.get(i) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Checkpoint folders under {@code outputDir}, oldest (lowest step) first. */
    static List<Path> list(Path outputDir) {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+") && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(PREFIX.length()))))
                    .toList();
        } catch (IOException e) {
            throw new JloraException("cannot list " + outputDir + ": " + e.getMessage(), e);
        }
    }

    static ObjectNode readState(Path dir) {
        Path file = dir.resolve(STATE);
        if (!Files.exists(file)) {
            throw new JloraException(dir + " is not a training checkpoint: " + STATE + " missing");
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (!(n instanceof ObjectNode o)) {
                throw new JloraException(file + ": expected a JSON object");
            }
            return o;
        } catch (IOException e) {
            throw new JloraException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Every tensor of {@code file} in {@code dir}, loaded into {@code m}. */
    static Map<String, NDArray> readTensors(Path dir, String file, NDManager m) {
        Path path = dir.resolve(file);
        if (!Files.exists(path)) {
            throw new JloraException(dir + " is not a training checkpoint: " + file + " missing");
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            for (String key : f.keys()) {
                out.put(key, f.load(key, m));
            }
        }
        return out;
    }

    static ArrayNode array() {
        return JSON.createArrayNode();
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    private static Map<String, TensorData> tensors(Map<String, NDArray> arrays, NDManager m) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> {
            NDArray d = v.stopGradient();
            d.attach(m);
            out.put(k, TensorData.of(d, SafetensorsDtype.of(d.getDataType())));
        });
        return out;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
