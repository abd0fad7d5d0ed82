package io.jlora.lora;

import io.jlora.JloraException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of a model's linear layers an adapter config targets, after PEFT's
 * {@code check_target_module_exists}:
 * <ul>
 *   <li>a regex must match the whole module path (no layer filter, as PEFT);
 *   <li>a name matches a path equal to it (no layer filter, as PEFT) or ending in {@code "." + name},
 *       then {@code layers_to_transform} keeps only the listed layer indices, the index being the
 *       number after the first {@code layers_pattern} segment (or after the first segment, when no
 *       pattern is given);
 *   <li>{@code all-linear} is every linear layer but the output head {@code lm_head}, filtered by
 *       {@code layers_to_transform} too. (PEFT expands it to full paths, which then match exactly and
 *       skip the layer filter; applying the filter is what a user asking for both means.)
 * </ul>
 */
public final class TargetMatcher {

    /** The output head's module path; never targeted by all-linear. */
    public static final String HEAD = "lm_head";

    private static final Pattern ANY_LAYER_INDEX = Pattern.compile(".*?\\.[^.]*\\.(\\d+)\\.");

    private TargetMatcher() {}

    /** Does {@code config} target the module at {@code path}? */
    public static boolean matches(LoraConfig config, String path) {
        TargetModules t = config.targetModules();
        if (t instanceof TargetModules.Regex regex) {
            return Pattern.compile(regex.pattern()).matcher(path).matches();
        }
        if (t instanceof TargetModules.Names names) {
            if (names.names().contains(path)) {
                return true;
            }
            boolean suffix = names.names().stream().anyMatch(n -> path.endsWith("." + n));
            return suffix && inTransformedLayer(config, path);
        }
        return !path.equals(HEAD) && inTransformedLayer(config, path);
    }

    /**
     * The targeted paths among {@code linearPaths}, in the model's order. Throws when none matches,
     * listing the model's linear layers so that the user can correct the names.
     */
    public static List<String> resolve(LoraConfig config, Collection<String> linearPaths) {
        List<String> out = new ArrayList<>();
        for (String path : linearPaths) {
            if (matches(config, path)) {
                out.add(path);
            }
        }
        if (out.isEmpty()) {
            throw new JloraException("target_modules " + describe(config) + " matched none of the model's "
                    + linearPaths.size() + " linear layers: " + summarize(linearPaths));
        }
        return out;
    }

    private static String describe(LoraConfig config) {
        String s = "'" + config.targetModules() + "'";
        return config.layersToTransform() == null ? s : s + " with layers_to_transform " + config.layersToTransform();
    }

    private static boolean inTransformedLayer(LoraConfig config, String path) {
        List<Integer> layers = config.layersToTransform();
        if (layers == null || layers.isEmpty()) {
            return true;
        }
        Integer index = layerIndex(config.layersPattern(), path);
        return index != null && layers.contains(index);
    }

    /** The layer index in {@code path} as PEFT finds it, or null. */
    static Integer layerIndex(List<String> layersPattern, String path) {
        if (layersPattern == null || layersPattern.isEmpty()) {
            Matcher m = ANY_LAYER_INDEX.matcher(path);
            return m.lookingAt() ? Integer.valueOf(m.group(1)) : null;
        }
        for (String pattern : layersPattern) {
            Matcher m = Pattern.compile(".*?\\." + pattern + "\\.(\\d+)\\.").matcher(path);
            if (m.lookingAt()) {
                return Integer.valueOf(m.group(1));
            }
        }
        return null;
    }

    /**
     * All paths, with runs over layer indices folded: {@code model.layers.{0..31}.self_attn.q_proj,
     * ..., lm_head}. Complete, yet short enough for an error message on a 32-layer model.
     */
    static String summarize(Collection<String> paths) {
        Map<String, TreeSet<Integer>> folded = new LinkedHashMap<>();
        for (String path : paths) {
            Matcher m = ANY_LAYER_INDEX.matcher(path);
            if (m.lookingAt()) {
                String shape = path.substring(0, m.start(1)) + "{}" + path.substring(m.end(1));
                folded.computeIfAbsent(shape, k -> new TreeSet<>()).add(Integer.valueOf(m.group(1)));
            } else {
                folded.put(path, null);
            }
        }
        List<String> parts = new ArrayList<>();
        folded.forEach((shape, indices) -> {
            if (indices == null) {
                parts.add(shape);
            } else if (indices.size() == 1) {
                parts.add(shape.replace("{}", String.valueOf(indices.first())));
            } else {
                boolean contiguous = indices.last() - indices.first() + 1 == indices.size();
                String range = contiguous ? indices.first() + ".." + indices.last() : indices.toString()
                        .replace("[", "").replace("]", "").replace(" ", "");
                parts.add(shape.replace("{}", "{" + range + "}"));
            }
        });
        return String.join(", ", parts);
    }
}
