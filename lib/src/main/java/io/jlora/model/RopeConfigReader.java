package io.jlora.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.io.ModelFormatException;
import java.util.ArrayList;
import java.util.List;

/**
 * The rotary part of {@link ModelConfigReader}: {@code rope_parameters} (transformers 5) or
 * {@code rope_theta} and {@code rope_scaling} (transformers 4), Gemma 3's per-layer-type parameters
 * and Phi-3's LongRoPE and partial rotary factor.
 */
final class RopeConfigReader {

    private final ModelConfigReader r;

    RopeConfigReader(ModelConfigReader r) {
        this.r = r;
    }

    double partialRotaryFactor(RopeConfig rope) {
        JsonNode params = r.root.get("rope_parameters");
        if (params != null && params.isObject() && params.has("partial_rotary_factor")) {
            return ropeNumber(params, "rope_parameters", "partial_rotary_factor");
        }
        double f = r.optionalDouble("partial_rotary_factor", rope.partialRotaryFactor());
        if (!(f > 0 && f <= 1)) {
            throw new ModelFormatException(r.file, r.where + "partial_rotary_factor", "must be in (0, 1]: " + f);
        }
        return f;
    }

    /**
     * Gemma 3's rotary for one layer type: transformers 5 keys rope_parameters by layer type; the
     * transformers 4 layout has rope_theta and rope_scaling (global layers) and rope_local_base_freq.
     */
    RopeConfig gemma3Rope(String layerType, String thetaKey, double defaultTheta, boolean global) {
        JsonNode params = r.root.get("rope_parameters");
        if (params != null && params.isObject() && params.has(layerType)) {
            JsonNode p = params.get(layerType);
            double theta = p.has("rope_theta") ? ropeNumber(p, "rope_parameters." + layerType, "rope_theta") : defaultTheta;
            return ropeOf(p, "rope_parameters." + layerType, theta);
        }
        double theta = r.optionalDouble(thetaKey, defaultTheta);
        JsonNode scaling = r.root.get("rope_scaling");
        if (global && scaling != null && scaling.isObject()) {
            return ropeOf(scaling, "rope_scaling", theta);
        }
        return RopeConfig.plain(theta);
    }

    RopeConfig rope(double defaultTheta) {
        JsonNode params = r.root.get("rope_parameters");
        JsonNode scaling = r.root.get("rope_scaling");
        double theta = r.optionalDouble("rope_theta", defaultTheta);
        JsonNode p = null;
        String at = null;
        if (params != null && params.isObject()) {
            p = params;
            at = "rope_parameters";
            if (p.has("rope_theta")) {
                theta = ropeNumber(p, at, "rope_theta");
            }
        } else if (scaling != null && scaling.isObject()) {
            p = scaling;
            at = "rope_scaling";
        }
        return p == null ? RopeConfig.plain(theta) : ropeOf(p, at, theta);
    }

    RopeConfig ropeOf(JsonNode p, String at, double theta) {
        String type = p.has("rope_type") ? p.get("rope_type").asText() : p.has("type") ? p.get("type").asText() : "default";
        switch (type) {
            case "default":
                return RopeConfig.plain(theta);
            case "linear":
                return new RopeConfig(theta, RopeConfig.Type.LINEAR, ropeNumber(p, at, "factor"), 0, 0, 0);
            case "llama3":
                return new RopeConfig(theta, RopeConfig.Type.LLAMA3, ropeNumber(p, at, "factor"),
                        ropeNumber(p, at, "low_freq_factor"), ropeNumber(p, at, "high_freq_factor"),
                        (int) ropeNumber(p, at, "original_max_position_embeddings"));
            case "longrope":
                return longRope(p, at, theta);
            case "su":
            case "yarn":
                if (r.phi3) { // Phi3Config reads its older names as longrope
                    return longRope(p, at, theta);
                }
                // fall through
            default:
                throw new ModelFormatException(r.file, r.where + at + ".rope_type", "unsupported rope type '" + type
                        + "'; supported: default, linear, llama3, longrope");
        }
    }

    /**
     * Phi-3's LongRoPE as transformers computes it: the original context from the rope parameters
     * or the config, factor = max_position_embeddings / original unless given, and the attention
     * factor sqrt(1 + ln(factor) / ln(original)) unless given.
     */
    RopeConfig longRope(JsonNode p, String at, double theta) {
        int original = p.has("original_max_position_embeddings")
                ? (int) ropeNumber(p, at, "original_max_position_embeddings")
                : r.optionalInt("original_max_position_embeddings", r.optionalInt("max_position_embeddings", 4096));
        double factor = p.has("factor") && !p.get("factor").isNull() ? ropeNumber(p, at, "factor")
                : (double) r.optionalInt("max_position_embeddings", 4096) / original;
        double attention = p.has("attention_factor") && !p.get("attention_factor").isNull()
                ? ropeNumber(p, at, "attention_factor")
                : factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        RopeConfig.LongRope lr = new RopeConfig.LongRope(numbers(p, at, "short_factor"), numbers(p, at, "long_factor"),
                attention);
        return new RopeConfig(theta, RopeConfig.Type.LONGROPE, factor, 0, 0, original, 1.0, lr);
    }

    List<Double> numbers(JsonNode p, String at, String key) {
        JsonNode v = p.get(key);
        if (v == null || !v.isArray()) {
            throw new ModelFormatException(r.file, r.where + at + "." + key, "required list of numbers missing");
        }
        List<Double> out = new ArrayList<>();
        for (JsonNode x : v) {
            if (!x.isNumber()) {
                throw new ModelFormatException(r.file, r.where + at + "." + key, "must be a list of numbers: " + v);
            }
            out.add(x.asDouble());
        }
        return out;
    }

    double ropeNumber(JsonNode p, String at, String key) {
        JsonNode v = p.get(key);
        if (v == null || !v.isNumber()) {
            throw new ModelFormatException(r.file, r.where + at + "." + key, "required key missing");
        }
        return v.asDouble();
    }
}
