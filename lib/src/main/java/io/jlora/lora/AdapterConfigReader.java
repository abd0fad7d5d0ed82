package io.jlora.lora;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.io.ModelFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one adapter_config.json field by field into a {@link LoraConfig}, every complaint naming
 * the file and key; refuses the PEFT options whose effect jlora would silently lose.
 *
 * @param file the file, named in every error
 * @param root its parsed JSON
 */
record AdapterConfigReader(Path file, JsonNode root) {
    private static final Set<String> UNSUPPORTED_WHEN_SET = Set.of("modules_to_save", "layer_replication",
            "target_parameters", "trainable_token_indices", "exclude_modules", "alora_invocation_tokens",
            "megatron_config", "eva_config", "corda_config", "arrow_config", "use_bdlora", "kasa_config",
            "lora_ga_config", "monteclora_config", "velora_config");

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
            List<String> defaults = modelType == null ? null : AdapterConfigJson.DEFAULT_TARGETS.get(modelType);
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
