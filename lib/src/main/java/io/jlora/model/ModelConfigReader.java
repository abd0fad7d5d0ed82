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

    final Path file;
    final JsonNode root;
    /** Where root sits in the file, for error messages: "" or "text_config.". */
    final String where;
    private final String modulePrefix;
    /** The family when the file's nesting decides it (a multimodal Gemma 3's text_config), else null. */
    private final Family forced;
    /** Set by parse: Phi-3 reads rope types su and yarn as longrope. */
    boolean phi3;

    private ModelConfigReader(Path file, JsonNode root, String where, String modulePrefix, Family forced) {
        this.file = file;
        this.root = root;
        this.where = where;
        this.modulePrefix = modulePrefix;
        this.forced = forced;
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
        return new ModelConfigReader(file, root, "", "model.", null).parse();
    }

    private ModelConfig parse() {
        String modelType = forced != null ? optionalText("model_type", forced.modelType()) : requiredText("model_type");
        if (modelType.equals(Family.GEMMA3_MULTIMODAL) && where.isEmpty()) {
            // a multimodal checkpoint: its text model is a gemma3_text under text_config
            JsonNode text = root.get("text_config");
            if (text == null || !text.isObject()) {
                throw new ModelFormatException(file, "text_config", "required key missing");
            }
            return new ModelConfigReader(file, text, "text_config.", "model.language_model.", Family.GEMMA3).parse();
        }
        Family family = forced != null ? forced : Family.ofModelType(modelType);
        if (family == null) {
            throw new ModelFormatException(file, where + "model_type", "unsupported model_type '" + modelType
                    + "'; supported: " + Family.supported());
        }
        boolean gemma = family == Family.GEMMA2 || family == Family.GEMMA3;
        phi3 = family == Family.PHI3;
        FamilyOptions.Activation act = activation(gemma);
        RopeConfigReader ropes = new RopeConfigReader(this);
        int hidden = requiredInt("hidden_size");
        int layers = requiredInt("num_hidden_layers");
        int heads = requiredInt("num_attention_heads");
        int kvHeads = optionalInt("num_key_value_heads", heads);
        // transformers' Gemma config classes default head_dim to 256, not hidden / heads
        int headDim = optionalInt("head_dim", gemma ? 256 : hidden / heads);
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(file, where + "num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        if (headDim % 2 != 0) {
            throw new ModelFormatException(file, where + "head_dim", headDim + " is odd; rotary embeddings need pairs");
        }
        boolean attentionBias = optionalBool("attention_bias", false);
        boolean qkvBias = family == Family.QWEN2 || (family != Family.MISTRAL && family != Family.PHI3 && attentionBias);
        // Qwen2Attention hard-codes bias=True on q/k/v and none on o; Phi-3 has no biases
        boolean outputBias = family != Family.QWEN2 && family != Family.MISTRAL && family != Family.PHI3 && attentionBias;
        boolean mlpBias = (family == Family.LLAMA || family == Family.SMOLLM3) && optionalBool("mlp_bias", false);
        Integer window = optionalWindow();
        List<Boolean> sliding = null;
        List<Boolean> ropeLayers = null;
        RopeConfig rope;
        RopeConfig localRope = null;
        switch (family) {
            case MISTRAL:
            case PHI3:
                // every layer slides when there is a window
                rope = ropes.rope(10000.0);
                break;
            case GEMMA2:
                sliding = layerTypes(layers, 2);
                rope = ropes.rope(10000.0);
                break;
            case GEMMA3:
                sliding = layerTypes(layers, optionalInt("sliding_window_pattern", optionalInt("_sliding_window_pattern", 6)));
                window = window == null ? Integer.valueOf(4096) : window;
                rope = ropes.gemma3Rope("full_attention", "rope_theta", 1_000_000.0, true);
                localRope = ropes.gemma3Rope("sliding_attention", "rope_local_base_freq", 10_000.0, false);
                break;
            case SMOLLM3:
                ropeLayers = flags("no_rope_layers", layers, optionalInt("no_rope_layer_interval", 4));
                sliding = smolSlidingLayers(layers, ropeLayers, window);
                window = sliding.contains(true) ? window : null;
                rope = ropes.rope(2_000_000.0);
                break;
            default:
                if (family != Family.OLMO2 && optionalBool("use_sliding_window", false)) {
                    // Qwen's per-layer windows (max_window_layers) are not implemented; refuse rather than differ
                    throw new ModelFormatException(file, where + "use_sliding_window",
                            "sliding-window attention is not supported for " + family.modelType());
                }
                window = null;
                rope = ropes.rope(10000.0);
        }
        if (family == Family.PHI3) {
            rope = rope.withPartialRotary(ropes.partialRotaryFactor(rope));
        }
        if (rope.rotaryDim(headDim) % 2 != 0) {
            throw new ModelFormatException(file, where + "partial_rotary_factor", "leaves " + rope.rotaryDim(headDim)
                    + " rotary dimensions, an odd number; rotary embeddings need pairs");
        }
        FamilyOptions options = new FamilyOptions(gemma, gemma, act,
                gemma ? FamilyOptions.NormPlacement.SANDWICH
                        : family == Family.OLMO2 ? FamilyOptions.NormPlacement.POST : FamilyOptions.NormPlacement.PRE,
                gemma ? optionalDouble("query_pre_attn_scalar", 256.0) : null,
                family == Family.GEMMA2 ? softcap("attn_logit_softcapping", 50.0) : null,
                gemma ? softcap("final_logit_softcapping", family == Family.GEMMA2 ? 30.0 : null) : null,
                family == Family.OLMO2, family == Family.PHI3, sliding, localRope, ropeLayers, modulePrefix);
        boolean qkNorm = family == Family.QWEN3 || family == Family.GEMMA3 || family == Family.OLMO2;
        double eps = optionalDouble("rms_norm_eps", family == Family.OLMO2 || family == Family.PHI3 ? 1e-5 : 1e-6);
        boolean tiedDefault = gemma || family == Family.SMOLLM3;
        return new ModelConfig(family, hidden, layers, heads, kvHeads, headDim, requiredInt("intermediate_size"),
                requiredInt("vocab_size"), eps, rope, optionalInt("max_position_embeddings", 2048),
                optionalBool("tie_word_embeddings", tiedDefault), qkvBias, outputBias, mlpBias, qkNorm, window,
                optionalLong("bos_token_id"), tokenIds("eos_token_id"), optionalLong("pad_token_id"),
                root.has("dtype") ? optionalText("dtype", null) : optionalText("torch_dtype", null), options);
    }

    /** The gated MLP's activation: Gemma's hidden_activation (gelu tanh), everyone else's hidden_act (silu). */
    private FamilyOptions.Activation activation(boolean gemma) {
        String key = gemma && root.has("hidden_activation") ? "hidden_activation" : "hidden_act";
        String act = optionalText(key, gemma ? "gelu_pytorch_tanh" : "silu");
        switch (act) {
            case "silu":
                return FamilyOptions.Activation.SILU;
            case "gelu_pytorch_tanh":
            case "gelu_new":
                return FamilyOptions.Activation.GELU_TANH;
            default:
                throw new ModelFormatException(file, where + key, "unsupported activation '" + act
                        + "'; supported: silu (SwiGLU), gelu_pytorch_tanh (GeGLU)");
        }
    }

    private Integer optionalWindow() {
        JsonNode v = root.get("sliding_window");
        return v == null || v.isNull() ? null : positiveInt("sliding_window", v);
    }

    /**
     * Which layers slide, from {@code layer_types} ("sliding_attention" / "full_attention") or, in
     * configs without it, transformers' default: every {@code pattern}-th layer full, the rest sliding.
     */
    private List<Boolean> layerTypes(int layers, int pattern) {
        JsonNode types = root.get("layer_types");
        List<Boolean> sliding = new ArrayList<>();
        if (types == null || types.isNull()) {
            for (int i = 0; i < layers; i++) {
                sliding.add((i + 1) % pattern != 0);
            }
            return sliding;
        }
        if (!types.isArray() || types.size() != layers) {
            throw new ModelFormatException(file, where + "layer_types", "must list one type per layer (" + layers + "): " + types);
        }
        for (JsonNode t : types) {
            String type = t.asText();
            if (!type.equals("sliding_attention") && !type.equals("full_attention")) {
                throw new ModelFormatException(file, where + "layer_types", "unsupported layer type '" + type
                        + "'; supported: sliding_attention, full_attention");
            }
            sliding.add(type.equals("sliding_attention"));
        }
        return sliding;
    }

    /** SmolLM3: layer_types when given, else the NoPE layers slide when use_sliding_window and a window are set. */
    private List<Boolean> smolSlidingLayers(int layers, List<Boolean> ropeLayers, Integer window) {
        if (root.has("layer_types") && !root.get("layer_types").isNull()) {
            List<Boolean> sliding = layerTypes(layers, 1);
            if (sliding.contains(true) && window == null) {
                throw new ModelFormatException(file, where + "sliding_window", "required by the sliding_attention layers");
            }
            return sliding;
        }
        boolean use = optionalBool("use_sliding_window", false) && window != null;
        List<Boolean> sliding = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            sliding.add(use && !ropeLayers.get(i));
        }
        return sliding;
    }

    /** A per-layer 0/1 list such as SmolLM3's no_rope_layers (1: uses rope), or every interval-th layer 0. */
    private List<Boolean> flags(String key, int layers, int interval) {
        JsonNode v = root.get(key);
        List<Boolean> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            for (int i = 0; i < layers; i++) {
                out.add((i + 1) % interval != 0);
            }
            return out;
        }
        if (!v.isArray() || v.size() != layers) {
            throw new ModelFormatException(file, where + key, "must list one 0 or 1 per layer (" + layers + "): " + v);
        }
        for (JsonNode x : v) {
            if (!x.isIntegralNumber() && !x.isBoolean()) {
                throw new ModelFormatException(file, where + key, "must list one 0 or 1 per layer: " + v);
            }
            out.add(x.isBoolean() ? x.asBoolean() : x.asInt() != 0);
        }
        return out;
    }

    /** A soft-capping value: the class default when the key is absent, none when it is null. */
    private Double softcap(String key, Double absent) {
        if (!root.has(key)) {
            return absent;
        }
        return root.get(key).isNull() ? null : optionalDouble(key, 0);
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
                    throw new ModelFormatException(file, where + key, "must be an integer or a list of integers: " + v);
                }
                ids.add(x.asLong());
            }
        } else if (isLong(v)) {
            ids.add(v.asLong());
        } else {
            throw new ModelFormatException(file, where + key, "must be an integer or a list of integers: " + v);
        }
        return ids;
    }

    private JsonNode required(String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            throw new ModelFormatException(file, where + key, "required key missing");
        }
        return v;
    }

    private String requiredText(String key) {
        return required(key).asText();
    }

    private int requiredInt(String key) {
        return positiveInt(key, required(key));
    }

    int optionalInt(String key, int fallback) {
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? fallback : positiveInt(key, v);
    }

    /** Jackson's asInt() would read 2^32 + 16 as 16: sizes past int are refused, not wrapped. */
    private int positiveInt(String key, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new ModelFormatException(file, where + key, "must be a positive integer below 2^31: " + v);
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
            throw new ModelFormatException(file, where + key, "must be an integer: " + v);
        }
        return v.asLong();
    }

    double optionalDouble(String key, double fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new ModelFormatException(file, where + key, "must be a number: " + v);
        }
        return v.asDouble();
    }

    private boolean optionalBool(String key, boolean fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new ModelFormatException(file, where + key, "must be true or false: " + v);
        }
        return v.asBoolean();
    }

    private String optionalText(String key, String fallback) {
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? fallback : v.asText();
    }
}
