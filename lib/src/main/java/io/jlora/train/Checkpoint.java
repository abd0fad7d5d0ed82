package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.FolderCommit;
import io.jlora.io.FolderManifest;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsFile;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import java.io.IOException;
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
 * It is written through a {@link FolderCommit}: staged beside the target, listed in a checksum
 * manifest ({@link FolderManifest#FILE}) written last, then renamed into place, so a kill at any
 * point leaves either no checkpoint-STEP or a complete one (or, when it already existed, the old
 * complete one). Reading it back verifies the manifest, hashes included: a checkpoint is adapter
 * plus optimizer state, a few MB for LoRA, so the hash costs little.
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
        Path target = outputDir.toAbsolutePath().normalize().resolve(PREFIX + step);
        recoverInterrupted(target.getParent());
        try (FolderCommit commit = FolderCommit.begin(target)) {
            Path tmp = commit.staging();
            try (NDManager m = scratch.newSubManager()) {
                SafetensorsWriter.write(tmp.resolve(TRAINABLE), tensors(trainable, m), Map.of("format", "pt"));
                SafetensorsWriter.write(tmp.resolve(OPTIMIZER), tensors(optimizer, m), Map.of("format", "pt"));
            }
            model.save(tmp);
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(STATE).toFile(), state);
            commit.commit();
            return target;
        } catch (IOException e) {
            throw new JloraException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the oldest checkpoints beyond {@code keep}. Each is first renamed to a hidden name,
     * so that a kill while deleting never leaves a partial folder under a checkpoint's name.
     */
    static void prune(Path outputDir, int keep) {
        if (keep <= 0) {
            return;
        }
        List<Path> all = list(outputDir);
        for (int i = 0; i < all.size() - keep; i++) {
            Path doomed = all.get(i).resolveSibling("." + all.get(i).getFileName() + ".jlora-deleting");
            try {
                FolderCommit.deleteTree(doomed);
                Files.move(all.get(i), doomed, StandardCopyOption.ATOMIC_MOVE);
                FolderCommit.deleteTree(doomed);
            } catch (IOException e) {
                throw new JloraException("cannot remove old checkpoint " + all.get(i) + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Finishes or undoes what a killed run left beside its checkpoints: a checkpoint staged
     * complete moves into place, partial ones and half-pruned ones go.
     */
    private static void recoverInterrupted(Path outputDir) {
        if (!Files.isDirectory(outputDir)) {
            return;
        }
        List<Path> leftovers;
        try (Stream<Path> s = Files.list(outputDir)) {
            leftovers = s.filter(p -> p.getFileName().toString().matches("\\." + PREFIX + "\\d+\\.jlora-\\w+")).toList();
        } catch (IOException e) {
            throw new JloraException("cannot list " + outputDir + ": " + e.getMessage(), e);
        }
        for (Path p : leftovers) {
            String name = p.getFileName().toString();
            Path checkpoint = outputDir.resolve(name.substring(1, name.indexOf(".jlora-")));
            try {
                if (name.endsWith(".jlora-deleting")) {
                    FolderCommit.deleteTree(p);
                } else {
                    FolderCommit.recover(checkpoint);
                }
            } catch (IOException e) {
                throw new JloraException("cannot remove " + p + ": " + e.getMessage(), e);
            }
        }
    }

    /** Checks {@code dir} against its checksum manifest, when it has one (older checkpoints do not). */
    static Path verified(Path dir) {
        Path readable = FolderCommit.readable(dir);
        FolderManifest.verify(readable, FolderManifest.Check.SHA256);
        return readable;
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

    /** The checkpoint's state, after checking the whole folder against its manifest. */
    static ObjectNode readState(Path checkpoint) {
        Path dir = verified(checkpoint);
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
    static Map<String, NDArray> readTensors(Path checkpoint, String file, NDManager m) {
        Path dir = FolderCommit.readable(checkpoint);
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
}
