package io.jlora.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Hugging Face config.json into a {@link ModelConfig}, resolving the defaults that
 * transformers' config classes would apply, for both the transformers 4 layout (top-level
 * {@code rope_theta}, {@code rope_scaling}) and the transformers 5 layout ({@code rope_parameters}).
 */
public final class ModelConfigReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final JsonNode root;

    private ModelConfigReader(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /** Reads {@code path}: a config.json or the model folder holding one. */
    public static ModelConfig read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.exists(file)) {
            throw new ModelFormatException(file, null, "file not found");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, null, "not a JSON object");
        }
        return new ModelConfigReader(file, root).parse();
    }

    private ModelConfig parse() {
        String modelType = requiredText("model_type");
        Family family = Family.ofModelType(modelType);
        if (family == null) {
            throw new ModelFormatException(file, "model_type", "unsupported model_type '" + modelType
                    + "'; supported: " + Family.supported());
        }
        String act = optionalText("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(file, "hidden_act", "unsupported activation '" + act + "'; only silu (SwiGLU)");
        }
        int hidden = requiredInt("hidden_size");
        int layers = requiredInt("num_hidden_layers");
        int heads = requiredInt("num_attention_heads");
        int kvHeads = optionalInt("num_key_value_heads", heads);
        int headDim = optionalInt("head_dim", hidden / heads);
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(file, "num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        if (headDim % 2 != 0) {
            throw new ModelFormatException(file, "head_dim", headDim + " is odd; rotary embeddings need pairs");
        }
        boolean attentionBias = optionalBool("attention_bias", false);
        boolean qkvBias;
        boolean outputBias;
        switch (family) {
            case QWEN2:
                // Qwen2Attention hard-codes bias=True on q/k/v and none on o
                qkvBias = true;
                outputBias = false;
                break;
            case MISTRAL:
                qkvBias = false;
                outputBias = false;
                break;
            default:
                qkvBias = attentionBias;
                outputBias = attentionBias;
        }
        Integer window = null;
        if (family == Family.MISTRAL) {
            window = root.has("sliding_window") && !root.get("sliding_window").isNull()
                    ? optionalInt("sliding_window", 0) : null;
        } else if (optionalBool("use_sliding_window", false)) {
            // Qwen's per-layer windows (max_window_layers) are not implemented; refuse rather than differ
            throw new ModelFormatException(file, "use_sliding_window", "sliding-window attention is supported for mistral only");
        }
        return new ModelConfig(family, hidden, layers, heads, kvHeads, headDim, requiredInt("intermediate_size"),
                requiredInt("vocab_size"), optionalDouble("rms_norm_eps", 1e-6), rope(),
                optionalInt("max_position_embeddings", 2048), optionalBool("tie_word_embeddings", false),
                qkvBias, outputBias, family == Family.LLAMA && optionalBool("mlp_bias", false),
                family == Family.QWEN3, window, optionalLong("bos_token_id"), tokenIds("eos_token_id"),
                optionalLong("pad_token_id"), root.has("dtype") ? optionalText("dtype", null) : optionalText("torch_dtype", null));
    }

    private RopeConfig rope() {
        JsonNode params = root.get("rope_parameters");
        JsonNode scaling = root.get("rope_scaling");
        double theta = optionalDouble("rope_theta", 10000.0);
        JsonNode p = null;
        String where = null;
        if (params != null && params.isObject()) {
            p = params;
            where = "rope_parameters";
            if (p.has("rope_theta")) {
                theta = ropeNumber(p, where, "rope_theta");
            }
        } else if (scaling != null && scaling.isObject()) {
            p = scaling;
            where = "rope_scaling";
        }
        if (p == null) {
            return RopeConfig.plain(theta);
        }
        String type = p.has("rope_type") ? p.get("rope_type").asText() : p.has("type") ? p.get("type").asText() : "default";
        switch (type) {
            case "default":
                return RopeConfig.plain(theta);
            case "linear":
                return new RopeConfig(theta, RopeConfig.Type.LINEAR, ropeNumber(p, where, "factor"), 0, 0, 0);
            case "llama3":
                return new RopeConfig(theta, RopeConfig.Type.LLAMA3, ropeNumber(p, where, "factor"),
                        ropeNumber(p, where, "low_freq_factor"), ropeNumber(p, where, "high_freq_factor"),
                        (int) ropeNumber(p, where, "original_max_position_embeddings"));
            default:
                throw new ModelFormatException(file, where + ".rope_type", "unsupported rope type '" + type
                        + "'; supported: default, linear, llama3");
        }
    }

    private double ropeNumber(JsonNode p, String where, String key) {
        JsonNode v = p.get(key);
        if (v == null || !v.isNumber()) {
            throw new ModelFormatException(file, where + "." + key, "required key missing");
        }
        return v.asDouble();
    }

    private List<Long> tokenIds(String key) {
        JsonNode v = root.get(key);
        List<Long> ids = new ArrayList<>();
        if (v == null || v.isNull()) {
            return ids;
        }
        if (v.isArray()) {
            for (JsonNode x : v) {
                if (!isLong(x)) {
                    throw new ModelFormatException(file, key, "must be an integer or a list of integers: " + v);
                }
                ids.add(x.asLong());
            }
        } else if (isLong(v)) {
            ids.add(v.asLong());
        } else {
            throw new ModelFormatException(file, key, "must be an integer or a list of integers: " + v);
        }
        return ids;
    }

    private JsonNode required(String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            throw new ModelFormatException(file, key, "required key missing");
        }
        return v;
    }

    private String requiredText(String key) {
        return required(key).asText();
    }

    private int requiredInt(String key) {
        return positiveInt(key, required(key));
    }

    private int optionalInt(String key, int fallback) {
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? fallback : positiveInt(key, v);
    }

    /** Jackson's asInt() would read 2^32 + 16 as 16: sizes past int are refused, not wrapped. */
    private int positiveInt(String key, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new ModelFormatException(file, key, "must be a positive integer below 2^31: " + v);
        }
        return v.asInt();
    }

    private static boolean isLong(JsonNode v) {
        return v.isIntegralNumber() && v.canConvertToLong();
    }

    private Long optionalLong(String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!isLong(v)) {
            throw new ModelFormatException(file, key, "must be an integer: " + v);
        }
        return v.asLong();
    }

    private double optionalDouble(String key, double fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new ModelFormatException(file, key, "must be a number: " + v);
        }
        return v.asDouble();
    }

    private boolean optionalBool(String key, boolean fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new ModelFormatException(file, key, "must be true or false: " + v);
        }
        return v.asBoolean();
    }

    private String optionalText(String key, String fallback) {
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? fallback : v.asText();
    }
}
