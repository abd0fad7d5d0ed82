package io.jlora.lora;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.io.AtomicFiles;
import io.jlora.io.ModelFormatException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
    static final Map<String, List<String>> DEFAULT_TARGETS = Map.of(
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

    /** Writes {@code json} as dir/adapter_config.json, atomically (the GPU trainer's adapter writer uses it too). */
    public static void write(Path dir, ObjectNode json) {
        Path file = dir.resolve(FILE);
        // the channel stays open: the writer syncs it before the rename
        AtomicFiles.write(file, out -> JSON.writerWithDefaultPrettyPrinter().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                .writeValue(Channels.newOutputStream(out), json));
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
        return new AdapterConfigReader(file, root).config(modelType);
    }

    private static void putNumber(ObjectNode node, String key, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            node.put(key, (long) value);
        } else {
            node.put(key, value);
        }
    }
}
