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
import java.util.ArrayList;
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
 *   <li>{@code trainer_state.json}: a {@link TrainerState}: step, optimizer steps, data position
 *       (epoch, offset), seed (from which dropout and data order follow), the schedule, the whole
 *       config and the log history;
 *   <li>whatever the model writes itself (a PEFT adapter: adapter_config.json, adapter_model.safetensors).
 * </ul>
 * It is written through a {@link FolderCommit}: staged beside the target, listed in a checksum
 * manifest ({@link FolderManifest#FILE}) written last, then renamed into place, so a kill at any
 * point leaves either no checkpoint-STEP or a complete one (or, when it already existed, the old
 * complete one). Reading it back verifies the manifest, hashes included: a checkpoint is adapter
 * plus optimizer state, a few MB for LoRA, so the hash costs little.
 */
public final class Checkpoint {

    public static final String TRAINABLE = "trainable.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer_state.json";
    public static final String PREFIX = "checkpoint-";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    /** Writes checkpoint {@code step} under {@code outputDir}; returns its folder. */
    static Path write(Path outputDir, long step, Map<String, NDArray> trainable, Map<String, NDArray> optimizer,
            TrainerState state, TrainableModel model, NDManager scratch) {
        try (NDManager m = scratch.newSubManager()) {
            return write(outputDir, step, tensors(trainable, m), tensors(optimizer, m), state, model::save);
        }
    }

    /** Writes what a trainer saves beside the arrays (a PEFT adapter) into the staged checkpoint folder. */
    public interface ModelFiles {
        void save(Path folder);
    }

    /**
     * Writes checkpoint {@code step} under {@code outputDir} from plain tensors (the GPU trainer's
     * path: no DJL arrays): trainable values and AdamW's {@code exp_avg.NAME} / {@code exp_avg_sq.NAME}
     * by parameter name, the state, then {@code model}'s files; returns its folder.
     */
    public static Path write(Path outputDir, long step, Map<String, TensorData> trainable,
            Map<String, TensorData> optimizer, TrainerState state, ModelFiles model) {
        Path target = outputDir.toAbsolutePath().normalize().resolve(PREFIX + step);
        recoverInterrupted(target.getParent());
        try (FolderCommit commit = FolderCommit.begin(target)) {
            Path tmp = commit.staging();
            SafetensorsWriter.write(tmp.resolve(TRAINABLE), trainable, Map.of("format", "pt"));
            SafetensorsWriter.write(tmp.resolve(OPTIMIZER), optimizer, Map.of("format", "pt"));
            model.save(tmp);
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(STATE).toFile(), toJson(state));
            commit.commit();
            return target;
        } catch (IOException e) {
            throw new JloraException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        }
    }

    /** A file of a checkpoint, after checking the folder against its manifest (its arrays, for a raw reader). */
    public static Path file(Path checkpoint, String name) {
        Path path = verified(checkpoint).resolve(name);
        if (!Files.exists(path)) {
            throw new JloraException(checkpoint + " is not a training checkpoint: " + name + " missing");
        }
        return path;
    }

    /**
     * Removes the oldest checkpoints beyond {@code keep}. Each is first renamed to a hidden name,
     * so that a kill while deleting never leaves a partial folder under a checkpoint's name.
     */
    public static void prune(Path outputDir, int keep) {
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
    public static TrainerState readState(Path checkpoint) {
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
            return fromJson(o);
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

    /** The JSON form of {@code s}, as trainer_state.json holds it. */
    static ObjectNode toJson(TrainerState s) {
        ObjectNode state = JSON.createObjectNode();
        state.put("global_step", s.globalStep());
        state.put("optimizer_step", s.optimizerStep());
        state.put("planned_steps", s.plannedSteps());
        state.put("epoch", s.epoch());
        state.put("data_offset", s.dataOffset());
        state.put("seed", s.seed());
        state.put("objective", s.objective());
        state.put("train_examples", s.trainExamples());
        LrSchedule schedule = s.schedule();
        if (schedule != null) {
            ObjectNode o = state.putObject("schedule");
            o.put("type", schedule.type().name().toLowerCase());
            o.put("lr", schedule.lr());
            o.put("warmup_steps", schedule.warmupSteps());
            o.put("total_steps", schedule.totalSteps());
        }
        TrainerConfig config = s.config();
        if (config != null) {
            ObjectNode c = JSON.valueToTree(config);
            c.put("scheduler", config.scheduler().name().toLowerCase());
            c.put("outputDir", config.outputDir() == null ? null : config.outputDir().toString());
            state.set("config", c);
        }
        ArrayNode log = state.putArray("log_history");
        for (TrainerState.Logged m : s.logHistory()) {
            ObjectNode o = log.addObject();
            o.put("step", m.step());
            o.put("loss", m.loss());
            o.put("lr", m.lr());
            o.put("grad_norm", m.gradNorm());
        }
        return state;
    }

    /**
     * Reads what {@link #toJson} wrote, and older checkpoints: a missing objective reads as null,
     * missing planned steps as -1, a config written as text (before it was stored whole) as null.
     */
    static TrainerState fromJson(JsonNode state) {
        JsonNode s = state.get("schedule");
        LrSchedule schedule = s == null ? null : new LrSchedule(LrSchedule.Scheduler.parse(s.path("type").asText()),
                s.path("lr").asDouble(), s.path("warmup_steps").asInt(), s.path("total_steps").asInt());
        List<TrainerState.Logged> log = new ArrayList<>();
        for (JsonNode o : state.path("log_history")) {
            log.add(new TrainerState.Logged(o.path("step").asLong(), o.path("loss").asDouble(), o.path("lr").asDouble(),
                    o.path("grad_norm").asDouble()));
        }
        return new TrainerState(state.path("global_step").asLong(), state.path("optimizer_step").asLong(),
                state.path("planned_steps").asLong(-1), state.path("epoch").asInt(),
                state.path("data_offset").asInt(), state.path("seed").asLong(),
                state.has("objective") ? state.get("objective").asText() : null, state.path("train_examples").asInt(-1), schedule,
                config(state.get("config")), log);
    }

    private static TrainerConfig config(JsonNode c) {
        if (c == null || !c.isObject()) {
            return null;
        }
        ObjectNode copy = c.deepCopy();
        JsonNode dir = c.get("outputDir");
        copy.remove("outputDir");
        try {
            copy.put("scheduler", LrSchedule.Scheduler.parse(c.path("scheduler").asText()).name());
            TrainerConfig read = JSON.convertValue(copy, TrainerConfig.class);
            return dir == null || dir.isNull() ? read : read.toBuilder().outputDir(Path.of(dir.asText())).build();
        } catch (IllegalArgumentException e) {
            return null; // informational: resuming needs none of it
        }
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
