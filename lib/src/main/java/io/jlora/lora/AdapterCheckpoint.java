package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.FolderCommit;
import io.jlora.io.FolderManifest;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsFile;
import io.jlora.io.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An opened PEFT adapter folder: its config and the header of {@code adapter_model.safetensors},
 * checked against a model's linear layers before any tensor is read. Keys are PEFT's:
 * {@code base_model.model.<module path>.lora_A.weight}, {@code ...lora_B.weight} and, for DoRA,
 * {@code ...lora_magnitude_vector}.
 */
public final class AdapterCheckpoint implements AutoCloseable {

    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** What PEFT puts before the module path for a causal LM (PeftModelForCausalLM.base_model.model). */
    public static final String KEY_PREFIX = "base_model.model.";

    private final Path dir;
    private final LoraConfig config;
    private final SafetensorsFile weights;
    /** module path -> suffix -> header entry, in file order. */
    private final Map<String, Map<String, TensorInfo>> modules;

    private AdapterCheckpoint(Path dir, LoraConfig config, SafetensorsFile weights,
            Map<String, Map<String, TensorInfo>> modules) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.modules = modules;
    }

    /** The PEFT state-dict key of one parameter. */
    public static String key(String modulePath, String suffix) {
        return KEY_PREFIX + modulePath + "." + suffix;
    }

    /**
     * Opens {@code dir}: reads adapter_config.json (a clear error when it is missing) and the
     * weights header. {@code modelType} picks PEFT's default targets when the config has none.
     * A folder jlora wrote is checked against its checksum manifest first, hashes included: an
     * adapter is a few MB, so reading it twice costs little and catches a mixed or damaged set.
     */
    public static AdapterCheckpoint open(Path folder, String modelType) {
        Path dir = FolderCommit.readable(folder);
        FolderManifest.verify(dir, FolderManifest.Check.SHA256);
        LoraConfig config = AdapterConfigJson.read(dir, modelType);
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.exists(file)) {
            String hint = Files.exists(dir.resolve("adapter_model.bin"))
                    ? " (adapter_model.bin is a pickle, which jlora does not read; re-save it with safe_serialization)" : "";
            throw new ModelFormatException(file, null, "file not found" + hint);
        }
        SafetensorsFile weights = SafetensorsFile.open(file);
        try {
            return new AdapterCheckpoint(dir, config, weights, group(file, weights, config.useDora()));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    private static Map<String, Map<String, TensorInfo>> group(Path file, SafetensorsFile weights, boolean dora) {
        Set<String> suffixes = dora ? Set.of(LoraBranch.A_KEY, LoraBranch.B_KEY, DoraBranch.MAGNITUDE_KEY)
                : Set.of(LoraBranch.A_KEY, LoraBranch.B_KEY);
        Map<String, Map<String, TensorInfo>> out = new LinkedHashMap<>();
        for (String key : weights.keys()) {
            String suffix = suffixes.stream().filter(s -> key.endsWith("." + s)).findFirst().orElse(null);
            if (!key.startsWith(KEY_PREFIX) || suffix == null) {
                throw new ModelFormatException(file, key, "not a PEFT LoRA key of this configuration; expected "
                        + KEY_PREFIX + "<module>." + String.join(" / ", new TreeSet<>(suffixes))
                        + (key.contains(DoraBranch.MAGNITUDE_KEY) ? " (a DoRA magnitude, but use_dora is false)" : ""));
            }
            String module = key.substring(KEY_PREFIX.length(), key.length() - suffix.length() - 1);
            out.computeIfAbsent(module, k -> new LinkedHashMap<>()).put(suffix, weights.info(key));
        }
        if (out.isEmpty()) {
            throw new ModelFormatException(file, null, "holds no LoRA weights");
        }
        return out;
    }

    public Path dir() {
        return dir;
    }

    public LoraConfig config() {
        return config;
    }

    /** Module paths that have weights, in file order. */
    public List<String> modules() {
        return new ArrayList<>(modules.keySet());
    }

    /**
     * Checks the adapter against a model whose linear layers are {@code linearShapes} (path to
     * [out, in], in model order): the config's targets must resolve, the file must hold exactly
     * those modules, each with every tensor of its configuration at the shape the layer and its
     * rank imply. Returns the targeted modules in model order. Nothing has been loaded yet.
     */
    public List<String> validate(Map<String, long[]> linearShapes) {
        Path file = weights.path();
        for (String module : modules.keySet()) {
            if (!linearShapes.containsKey(module)) {
                String key = key(module, modules.get(module).keySet().iterator().next());
                throw new ModelFormatException(file, key, "module " + module + " is not a linear layer of the model; "
                        + "its linear layers are: " + TargetMatcher.summarize(linearShapes.keySet()));
            }
        }
        List<String> targets;
        try {
            targets = TargetMatcher.resolve(config, linearShapes.keySet());
        } catch (RuntimeException e) {
            throw new ModelFormatException(dir.resolve(AdapterConfigJson.FILE), "target_modules", e.getMessage(), e);
        }
        for (String module : modules.keySet()) {
            if (!targets.contains(module)) {
                throw new ModelFormatException(file, key(module, LoraBranch.A_KEY), "module " + module
                        + " has weights but adapter_config.json's target_modules '" + config.targetModules()
                        + "' does not target it");
            }
        }
        for (String module : targets) {
            Map<String, TensorInfo> tensors = modules.get(module);
            if (tensors == null) {
                throw new ModelFormatException(file, key(module, LoraBranch.A_KEY), "missing: adapter_config.json "
                        + "targets " + module + " but the file has no weights for it");
            }
            long[] layer = linearShapes.get(module);
            int rank = config.rank(module);
            expect(tensors, module, LoraBranch.A_KEY, new long[] {rank, layer[1]}, layer, rank);
            expect(tensors, module, LoraBranch.B_KEY, new long[] {layer[0], rank}, layer, rank);
            if (config.useDora()) {
                expect(tensors, module, DoraBranch.MAGNITUDE_KEY, new long[] {layer[0]}, layer, rank);
            }
        }
        return targets;
    }

    private void expect(Map<String, TensorInfo> tensors, String module, String suffix, long[] shape, long[] layer,
            int rank) {
        String key = key(module, suffix);
        TensorInfo info = tensors.get(suffix);
        if (info == null) {
            throw new ModelFormatException(weights.path(), key, "missing");
        }
        if (!Arrays.equals(info.shape(), shape)) {
            throw new ModelFormatException(weights.path(), key, "shape " + Arrays.toString(info.shape())
                    + " does not fit the model: " + module + " maps " + layer[1] + " -> " + layer[0] + " and the rank is "
                    + rank + ", so the shape must be " + Arrays.toString(shape));
        }
        if (info.dtype().loadedAs() == null || !info.dtype().loadedAs().isFloating()) {
            throw new ModelFormatException(weights.path(), key, "dtype " + info.dtype() + " is not a float type");
        }
    }

    /** Loads one tensor of {@code module} into {@code m}, as float32. */
    public NDArray load(String module, String suffix, NDManager m) {
        NDArray a = weights.load(key(module, suffix), m);
        if (a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
            NDArray f = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            a.close();
            return f;
        }
        return a;
    }

    @Override
    public void close() {
        weights.close();
    }
}
