package io.jlora.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsFile;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * PEFT adapters to Kohya's LoRA format (sd-scripts' networks.lora) and back.
 *
 * <p>Kohya's keys: {@code <prefix>_<module path with dots as underscores>.lora_down.weight} (PEFT's
 * A), {@code .lora_up.weight} (B) and {@code .alpha} (a scalar). Kohya scales by alpha / dim, so
 * alpha is written as the adapter's own scale times its rank: alpha for plain LoRA, alpha·sqrt(r)
 * for rsLoRA, and any rank_pattern/alpha_pattern override per module. The prefix is
 * {@value #DEFAULT_PREFIX} by default (Kohya's {@code lora_unet}/{@code lora_te} prefixes name
 * diffusion parts; a language model has neither). The header carries Kohya's {@code ss_} metadata.
 *
 * <p>Back to PEFT, the module path is found by matching against the base model's linear layers
 * when a base folder is given; otherwise underscores become dots except inside the usual
 * transformers names ({@code self_attn}, {@code q_proj}, {@code lm_head}, ...).
 */
public final class KohyaConverter {

    public static final String DEFAULT_PREFIX = "lora";
    static final String DOWN = ".lora_down.weight";
    static final String UP = ".lora_up.weight";
    static final String ALPHA = ".alpha";

    /** Module-name parts that hold an underscore themselves. */
    private static final Set<String> COMPOUND_NAMES = Set.of("self_attn", "q_proj", "k_proj", "v_proj", "o_proj",
            "gate_proj", "up_proj", "down_proj", "lm_head", "embed_tokens", "qkv_proj", "gate_up_proj", "dense_h_to_4h",
            "dense_4h_to_h", "query_key_value", "c_attn", "c_proj", "c_fc", "block_sparse_moe", "shared_expert");

    private KohyaConverter() {}

    /**
     * Converts the PEFT folder {@code peftDir} to the Kohya file {@code out} (refusing an existing
     * file unless {@code overwrite}). DoRA adapters have no Kohya form and are refused.
     */
    public static Path toKohya(Path peftDir, Path out, String prefix, boolean overwrite) {
        if (Files.exists(out) && !overwrite) {
            throw new JloraException("the output file " + out + " exists; choose another path or ask to overwrite it");
        }
        if (Files.isDirectory(out)) {
            throw new JloraException("the output path " + out + " is a folder; give a .safetensors file name");
        }
        String p = prefix == null || prefix.isBlank() ? DEFAULT_PREFIX : prefix;
        try (AdapterCheckpoint peft = AdapterCheckpoint.open(peftDir, null);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            LoraConfig c = peft.config();
            if (c.useDora()) {
                throw new JloraException(peftDir + " is a DoRA adapter: Kohya's LoRA format has no magnitude vector; "
                        + "merge it instead");
            }
            Map<String, TensorData> tensors = new TreeMap<>();
            for (String module : peft.modules()) {
                NDArray a = peft.load(module, LoraBranch.A_KEY, m);
                NDArray b = peft.load(module, LoraBranch.B_KEY, m);
                String stem = p + "_" + module.replace('.', '_');
                long rank = a.getShape().get(0);
                float alpha = (float) (c.scale(module) * rank);
                tensors.put(stem + DOWN, TensorData.of(a));
                tensors.put(stem + UP, TensorData.of(b));
                tensors.put(stem + ALPHA, TensorData.of(m.create(alpha)));
            }
            SafetensorsWriter.write(out, new LinkedHashMap<>(tensors), metadata(c, out));
            return out;
        }
    }

    private static Map<String, String> metadata(LoraConfig c, Path out) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("ss_network_module", "networks.lora");
        meta.put("ss_network_dim", String.valueOf(c.r()));
        double alpha = c.useRslora() ? c.loraAlpha() * Math.sqrt(c.r()) : c.loraAlpha();
        meta.put("ss_network_alpha", alpha == Math.rint(alpha) ? String.valueOf((long) alpha) : String.valueOf(alpha));
        meta.put("ss_network_args", "{}");
        if (c.baseModelNameOrPath() != null) {
            meta.put("ss_sd_model_name", c.baseModelNameOrPath());
        }
        String file = out.getFileName().toString();
        meta.put("ss_output_name", file.endsWith(".safetensors") ? file.substring(0, file.length() - 12) : file);
        meta.put("ss_training_comment", "converted from a PEFT LoRA adapter by jlora"
                + (c.useRslora() ? " (rsLoRA: alpha = lora_alpha * sqrt(r))" : ""));
        meta.put("format", "pt");
        return meta;
    }

    /**
     * Converts the Kohya file {@code kohya} to a PEFT adapter folder {@code outDir} (refusing a
     * non-empty folder unless {@code overwrite}).
     *
     * @param baseModel the base model folder, to map Kohya's names back to module paths exactly;
     *     may be null (names are then rebuilt from known transformers module names)
     */
    public static List<Path> fromKohya(Path kohya, Path outDir, Path baseModel, String prefix, boolean overwrite) {
        OutputFolder.check(outDir.toAbsolutePath().normalize(), overwrite, baseModel, kohya);
        String p = prefix == null || prefix.isBlank() ? DEFAULT_PREFIX : prefix;
        try (SafetensorsFile file = SafetensorsFile.open(kohya); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, String> paths = modulePaths(file, p, baseModel);
            Map<String, NDArray[]> weights = new LinkedHashMap<>();
            Map<String, Double> alphas = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : paths.entrySet()) {
                String stem = e.getKey();
                NDArray down = float32(file.load(require(file, stem + DOWN), m));
                NDArray up = float32(file.load(require(file, stem + UP), m));
                long rank = down.getShape().get(0);
                if (down.getShape().dimension() != 2 || up.getShape().dimension() != 2 || up.getShape().get(1) != rank) {
                    throw new ModelFormatException(kohya, stem + UP, "shapes " + down.getShape() + " and " + up.getShape()
                            + " do not chain (or are convolutional, which a language model has none of)");
                }
                // Kohya's default when alpha is absent: alpha = dim, scale 1
                double alpha = file.contains(stem + ALPHA) ? file.load(stem + ALPHA, m).toType(DataType.FLOAT64, false)
                        .toDoubleArray()[0] : rank;
                weights.put(e.getValue(), new NDArray[] {down, up});
                alphas.put(e.getValue(), alpha);
            }
            LoraConfig config = peftConfig(weights, alphas, file.metadata(), baseModel);
            try (OutputFolder folder = OutputFolder.open(outDir, overwrite, baseModel, kohya)) {
                Map<String, TensorData> tensors = new TreeMap<>();
                weights.forEach((module, ab) -> {
                    tensors.put(AdapterCheckpoint.key(module, LoraBranch.A_KEY), TensorData.of(ab[0]));
                    tensors.put(AdapterCheckpoint.key(module, LoraBranch.B_KEY), TensorData.of(ab[1]));
                });
                SafetensorsWriter.write(folder.temp().resolve(AdapterCheckpoint.WEIGHTS_FILE), new LinkedHashMap<>(tensors),
                        Map.of("format", "pt"));
                AdapterConfigJson.write(folder.temp(), AdapterConfigJson.toJson(config, new ArrayList<>(weights.keySet())));
                folder.commit();
                return List.of(folder.out().resolve(AdapterConfigJson.FILE), folder.out().resolve(AdapterCheckpoint.WEIGHTS_FILE));
            }
        }
    }

    /** Kohya stem to module path, for every stem in the file; unknown key kinds are refused. */
    private static Map<String, String> modulePaths(SafetensorsFile file, String prefix, Path baseModel) {
        Map<String, String> known = new HashMap<>();
        if (baseModel != null) {
            try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(baseModel)) {
                for (String path : MergeTool.linearShapes(base).keySet()) {
                    known.put(prefix + "_" + path.replace('.', '_'), path);
                }
            }
        }
        Map<String, String> out = new TreeMap<>(Comparator.naturalOrder());
        for (String key : file.keys()) {
            String stem = key.endsWith(DOWN) ? key.substring(0, key.length() - DOWN.length())
                    : key.endsWith(UP) ? key.substring(0, key.length() - UP.length())
                    : key.endsWith(ALPHA) ? key.substring(0, key.length() - ALPHA.length()) : null;
            if (stem == null) {
                throw new ModelFormatException(file.path(), key, "not a Kohya LoRA key (" + DOWN + ", " + UP + ", "
                        + ALPHA + "); LoHa/LoKr/DoRA variants are not supported");
            }
            if (!stem.startsWith(prefix + "_")) {
                throw new ModelFormatException(file.path(), key, "does not start with the prefix '" + prefix + "_'");
            }
            String path = baseModel != null ? known.get(stem) : guessPath(stem.substring(prefix.length() + 1));
            if (path == null) {
                throw new ModelFormatException(file.path(), key, "names no linear layer of " + baseModel + "; its layers are "
                        + TargetMatcher.summarize(new TreeMap<>(invert(known)).keySet()));
            }
            out.put(stem, path);
        }
        return out;
    }

    private static Map<String, String> invert(Map<String, String> m) {
        Map<String, String> out = new HashMap<>();
        m.forEach((k, v) -> out.put(v, k));
        return out;
    }

    /** model_layers_0_self_attn_q_proj to model.layers.0.self_attn.q_proj. */
    static String guessPath(String underscored) {
        String[] parts = underscored.split("_");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            if (i + 1 < parts.length && COMPOUND_NAMES.contains(parts[i] + "_" + parts[i + 1])) {
                out.add(parts[i] + "_" + parts[i + 1]);
                i++;
            } else if (i + 2 < parts.length && COMPOUND_NAMES.contains(parts[i] + "_" + parts[i + 1] + "_" + parts[i + 2])) {
                out.add(parts[i] + "_" + parts[i + 1] + "_" + parts[i + 2]);
                i += 2;
            } else {
                out.add(parts[i]);
            }
        }
        return String.join(".", out);
    }

    private static String require(SafetensorsFile file, String key) {
        if (!file.contains(key)) {
            throw new ModelFormatException(file.path(), key, "missing (every Kohya module needs lora_down and lora_up)");
        }
        return key;
    }

    private static NDArray float32(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    }

    /**
     * r and lora_alpha of the most common (rank, alpha) pair; modules that differ get rank_pattern
     * and alpha_pattern entries keyed by their escaped full path. No rsLoRA: Kohya's alpha already
     * holds the whole scale.
     */
    private static LoraConfig peftConfig(Map<String, NDArray[]> weights, Map<String, Double> alphas,
            Map<String, String> metadata, Path baseModel) {
        Map<List<Double>, Integer> counts = new LinkedHashMap<>();
        weights.forEach((module, ab) -> counts.merge(List.of((double) ab[0].getShape().get(0), alphas.get(module)), 1,
                Integer::sum));
        List<Double> common = counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        int r = (int) Math.round(common.get(0));
        double alpha = common.get(1);
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        weights.forEach((module, ab) -> {
            int rank = Math.toIntExact(ab[0].getShape().get(0));
            String key = module.replace(".", "\\.");
            if (rank != r) {
                rankPattern.put(key, rank);
            }
            if (alphas.get(module) != alpha) {
                alphaPattern.put(key, alphas.get(module));
            }
        });
        String base = baseModel != null ? baseModel.toString() : metadata.get("ss_sd_model_name");
        return LoraConfig.builder().r(r).loraAlpha(alpha).loraDropout(0)
                .targetModules(TargetModules.names(new ArrayList<>(weights.keySet())))
                .rankPattern(rankPattern).alphaPattern(alphaPattern).baseModelNameOrPath(base).build();
    }
}
