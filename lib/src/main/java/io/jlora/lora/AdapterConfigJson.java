package io.jlora.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code adapter_config.json} as PEFT 0.21 writes it, both ways. Writing produces PEFT's full key
 * set (the options jlora does not implement at their PEFT defaults) so that PEFT loads the file
 * unchanged; reading accepts any PEFT LoRA config and refuses, naming the key, options whose effect
 * jlora would silently ignore (a bias, modules_to_save, fan_in_fan_out, ...).
 */
public final class AdapterConfigJson {

    public static final String FILE = "adapter_config.json";
    /** The PEFT release whose file layout this follows. */
    static final String PEFT_VERSION = "0.21.0";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * PEFT's defaults for the model types jlora loads, when a config has no target_modules (PEFT 0.21
     * has none for phi3, olmo2 and smollm3, and refuses such configs as this does).
     */
    private static final Map<String, List<String>> DEFAULT_TARGETS = Map.of(
            "llama", List.of("q_proj", "v_proj"), "mistral", List.of("q_proj", "v_proj"),
            "qwen2", List.of("q_proj", "v_proj"), "qwen3", List.of("q_proj", "v_proj"),
            "gemma2", List.of("q_proj", "v_proj"), "gemma3_text", List.of("q_proj", "v_proj"));

    private AdapterConfigJson() {}

    /**
     * The JSON for {@code config}. {@code all-linear} is written as the list of modules it resolved
     * to ({@code targets}), as PEFT does; names and regexes are written as given.
     */
    public static ObjectNode toJson(LoraConfig config, List<String> targets) {
        ObjectNode c = JSON.createObjectNode();
        // alphabetical, as PEFT writes them (json.dump with sort_keys)
        c.putNull("alora_invocation_tokens");
        ObjectNode alphaPattern = c.putObject("alpha_pattern");
        config.alphaPattern().forEach((k, v) -> putNumber(alphaPattern, k, v));
        c.putNull("arrow_config");
        c.putNull("auto_mapping");
        if (config.baseModelNameOrPath() == null) {
            c.putNull("base_model_name_or_path");
        } else {
            c.put("base_model_name_or_path", config.baseModelNameOrPath());
        }
        c.put("bias", "none");
        c.putNull("corda_config");
        c.put("ensure_weight_tying", false);
        c.putNull("eva_config");
        c.putNull("exclude_modules");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        Object init = config.init().jsonValue(config.pissaIterations());
        if (init instanceof Boolean b) {
            c.put("init_lora_weights", b);
        } else {
            c.put("init_lora_weights", (String) init);
        }
        c.putNull("kasa_config");
        c.putNull("layer_replication");
        if (config.layersPattern() == null) {
            c.putNull("layers_pattern");
        } else {
            ArrayNode a = c.putArray("layers_pattern");
            config.layersPattern().forEach(a::add);
        }
        if (config.layersToTransform() == null) {
            c.putNull("layers_to_transform");
        } else {
            ArrayNode a = c.putArray("layers_to_transform");
            config.layersToTransform().forEach(a::add);
        }
        c.putObject("loftq_config");
        putNumber(c, "lora_alpha", config.loraAlpha());
        c.put("lora_bias", false);
        c.put("lora_dropout", config.loraDropout());
        c.putNull("lora_ga_config");
        c.putNull("megatron_config");
        c.put("megatron_core", "megatron.core");
        c.putNull("modules_to_save");
        c.putNull("monteclora_config");
        c.put("peft_type", "LORA");
        c.put("peft_version", PEFT_VERSION);
        c.put("qalora_group_size", 16);
        c.put("r", config.r());
        ObjectNode rankPattern = c.putObject("rank_pattern");
        config.rankPattern().forEach(rankPattern::put);
        c.putNull("revision");
        TargetModules t = config.targetModules();
        if (t instanceof TargetModules.Regex regex) {
            c.put("target_modules", regex.pattern());
        } else {
            ArrayNode a = c.putArray("target_modules");
            (t instanceof TargetModules.Names names ? names.names() : targets).forEach(a::add);
        }
        c.putNull("target_parameters");
        c.put("task_type", "CAUSAL_LM");
        c.putNull("trainable_token_indices");
        c.putNull("use_bdlora");
        c.put("use_dora", config.useDora());
        c.put("use_qalora", false);
        c.put("use_rslora", config.useRslora());
        c.putNull("velora_config");
        return c;
    }

    /** Writes {@code json} to dir/adapter_config.json under a temporary name, then renames it. */
    static void write(Path dir, ObjectNode json) {
        Path file = dir.resolve(FILE);
        AtomicFiles.write(file, out -> JSON.writerWithDefaultPrettyPrinter().writeValue(out, json));
    }

    /**
     * Reads dir/adapter_config.json.
     *
     * @param modelType the base model's model_type, for PEFT's default target_modules; may be null
     */
    public static LoraConfig read(Path dir, String modelType) {
        Path file = dir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            String why = Files.isDirectory(dir) ? "missing: " + dir + " is not a PEFT adapter folder"
                    : "missing: the adapter folder " + dir + " does not exist";
            throw new ModelFormatException(file, null, why);
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, null, "not a JSON object");
        }
        return new Reader(file, root).config(modelType);
    }

    private static void putNumber(ObjectNode node, String key, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            node.put(key, (long) value);
        } else {
            node.put(key, value);
        }
    }

    /** Field-by-field reading, every complaint naming the file and key. */
    private static final class Reader {
        private static final Set<String> UNSUPPORTED_WHEN_SET = Set.of("modules_to_save", "layer_replication",
                "target_parameters", "trainable_token_indices", "exclude_modules", "alora_invocation_tokens",
                "megatron_config", "eva_config", "corda_config", "arrow_config", "use_bdlora", "kasa_config",
                "lora_ga_config", "monteclora_config", "velora_config");

        private final Path file;
        private final JsonNode root;

        Reader(Path file, JsonNode root) {
            this.file = file;
            this.root = root;
        }

        LoraConfig config(String modelType) {
            String peftType = text("peft_type", "LORA");
            if (!peftType.equals("LORA")) {
                throw fail("peft_type", "is " + peftType + "; only LORA adapters are supported");
            }
            requireValue("bias", "none");
            requireFalse("fan_in_fan_out", "the weights would be transposed (Conv1D models only)");
            requireFalse("lora_bias", "LoRA biases are not supported");
            requireFalse("use_qalora", "QA-LoRA is not supported");
            for (String key : UNSUPPORTED_WHEN_SET) {
                JsonNode v = root.get(key);
                if (v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty())) {
                    throw fail(key, "is set (" + v + "), which jlora does not support; its effect would be lost");
                }
            }
            LoraConfig.Builder b = LoraConfig.builder()
                    .r(integer("r", 8))
                    .loraAlpha(number("lora_alpha", 8))
                    .loraDropout(number("lora_dropout", 0))
                    .targetModules(targets(modelType))
                    .useRslora(bool("use_rslora"))
                    .useDora(bool("use_dora"));
            JsonNode init = root.get("init_lora_weights");
            if (init == null || init.isNull() || (init.isBoolean() && init.asBoolean())) {
                b.init(LoraInit.DEFAULT);
            } else if (init.isBoolean()) {
                b.init(LoraInit.RANDOM);
            } else if (init.isTextual()) {
                try {
                    b.init(init.asText());
                } catch (RuntimeException e) {
                    throw fail("init_lora_weights", e.getMessage());
                }
            } else {
                throw fail("init_lora_weights", "must be true, false or a string, got " + init);
            }
            JsonNode base = root.get("base_model_name_or_path");
            if (base != null && base.isTextual()) {
                b.baseModelNameOrPath(base.asText());
            }
            b.layersToTransform(layers());
            b.layersPattern(stringOrList("layers_pattern"));
            b.rankPattern(rankPattern());
            b.alphaPattern(alphaPattern());
            try {
                return b.build();
            } catch (RuntimeException e) {
                throw new ModelFormatException(file, null, e.getMessage(), e);
            }
        }

        private TargetModules targets(String modelType) {
            JsonNode t = root.get("target_modules");
            if (t == null || t.isNull()) {
                List<String> defaults = modelType == null ? null : DEFAULT_TARGETS.get(modelType);
                if (defaults == null) {
                    throw fail("target_modules", "missing, and PEFT has no default for model type " + modelType);
                }
                return TargetModules.names(defaults);
            }
            if (t.isTextual()) {
                return t.asText().equalsIgnoreCase(TargetModules.ALL_LINEAR) ? TargetModules.allLinear()
                        : wrap("target_modules", () -> TargetModules.regex(t.asText()));
            }
            if (t.isArray()) {
                List<String> names = new ArrayList<>();
                for (JsonNode n : t) {
                    if (!n.isTextual()) {
                        throw fail("target_modules", "holds a non-string entry: " + n);
                    }
                    names.add(n.asText());
                }
                return wrap("target_modules", () -> TargetModules.names(names));
            }
            throw fail("target_modules", "must be a string or a list of strings, got " + t);
        }

        private List<Integer> layers() {
            JsonNode n = root.get("layers_to_transform");
            if (n == null || n.isNull()) {
                return null;
            }
            if (n.isIntegralNumber()) {
                return List.of(intValue("layers_to_transform", n));
            }
            if (n.isArray()) {
                List<Integer> out = new ArrayList<>();
                for (JsonNode v : n) {
                    if (!v.isIntegralNumber()) {
                        throw fail("layers_to_transform", "holds a non-integer: " + v);
                    }
                    out.add(intValue("layers_to_transform", v));
                }
                return out;
            }
            throw fail("layers_to_transform", "must be an integer or a list of integers, got " + n);
        }

        private List<String> stringOrList(String key) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return null;
            }
            if (n.isTextual()) {
                return n.asText().isEmpty() ? null : List.of(n.asText());
            }
            if (n.isArray()) {
                List<String> out = new ArrayList<>();
                n.forEach(v -> out.add(v.asText()));
                return out;
            }
            throw fail(key, "must be a string or a list of strings, got " + n);
        }

        private Map<String, Integer> rankPattern() {
            Map<String, Integer> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : entries("rank_pattern")) {
                if (!e.getValue().isIntegralNumber()) {
                    throw fail("rank_pattern", "value of '" + e.getKey() + "' is not an integer: " + e.getValue());
                }
                out.put(e.getKey(), intValue("rank_pattern", e.getValue()));
            }
            return out;
        }

        private Map<String, Double> alphaPattern() {
            Map<String, Double> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : entries("alpha_pattern")) {
                if (!e.getValue().isNumber()) {
                    throw fail("alpha_pattern", "value of '" + e.getKey() + "' is not a number: " + e.getValue());
                }
                out.put(e.getKey(), e.getValue().asDouble());
            }
            return out;
        }

        private List<Map.Entry<String, JsonNode>> entries(String key) {
            JsonNode n = root.get(key);
            List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isObject()) {
                throw fail(key, "must be an object, got " + n);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                out.add(it.next());
            }
            return out;
        }

        private int integer(String key, int fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isIntegralNumber()) {
                throw fail(key, "must be an integer, got " + n);
            }
            return intValue(key, n);
        }

        /** Jackson's asInt() would read 2^32 + 16 as 16: integers past int are refused, not wrapped. */
        private int intValue(String key, JsonNode n) {
            if (!n.canConvertToInt()) {
                throw fail(key, "holds " + n + ", outside the integer range");
            }
            return n.asInt();
        }

        private double number(String key, double fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isNumber()) {
                throw fail(key, "must be a number, got " + n);
            }
            return n.asDouble();
        }

        private boolean bool(String key) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return false;
            }
            if (!n.isBoolean()) {
                throw fail(key, "must be true or false, got " + n);
            }
            return n.asBoolean();
        }

        private String text(String key, String fallback) {
            JsonNode n = root.get(key);
            return n == null || n.isNull() ? fallback : n.asText();
        }

        private void requireValue(String key, String expected) {
            String v = text(key, expected);
            if (!v.equals(expected)) {
                throw fail(key, "is '" + v + "'; only '" + expected + "' is supported");
            }
        }

        private void requireFalse(String key, String why) {
            JsonNode n = root.get(key);
            if (n != null && n.asBoolean(false)) {
                throw fail(key, "is true: " + why);
            }
        }

        private <T> T wrap(String key, java.util.function.Supplier<T> make) {
            try {
                return make.get();
            } catch (RuntimeException e) {
                throw fail(key, e.getMessage());
            }
        }

        private ModelFormatException fail(String key, String problem) {
            return new ModelFormatException(file, key, problem);
        }
    }
}
