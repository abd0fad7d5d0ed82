package io.jlora.fuzz;

import io.jlora.model.CausalLm;
import io.jlora.model.ModelConfigReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Loading a model folder the way users do ({@link CausalLm#load}: config.json, the weights,
 * generation_config.json, a shard index) with one of its files damaged: config.json with wrong
 * types, missing keys, absurd or negative sizes (hidden_size 2^40, a layer count past the
 * weights), generation_config.json, or a sharded index pointing anywhere. The untouched files are
 * links to the golden tiny Llama.
 */
class ModelFolderFuzzTest {

    static final FuzzStats STATS = new FuzzStats("model-folder");
    private static final Path MODEL = Seeds.model();
    private static final String CONFIG = Seeds.text(MODEL.resolve("config.json"));
    private static final String GENERATION = Seeds.text(MODEL.resolve("generation_config.json"));
    private static final List<String> CONFIG_KEYS = List.of("model_type", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size", "vocab_size", "rms_norm_eps",
            "rope_theta", "rope_scaling", "rope_parameters", "max_position_embeddings", "tie_word_embeddings",
            "attention_bias", "mlp_bias", "sliding_window", "use_sliding_window", "bos_token_id", "eos_token_id",
            "pad_token_id", "torch_dtype", "dtype", "hidden_act", "rope_type", "factor", "low_freq_factor",
            "high_freq_factor", "original_max_position_embeddings", "type");

    @Property
    void damagedConfigLoadsOrIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        Path dir = Scratch.newFolder();
        Scratch.write(dir.resolve("config.json"), JsonMutator.mutate(CONFIG, CONFIG_KEYS, r));
        linkRest(dir, "config.json");
        run(dir, "seed " + seed + " (config.json)", r.nextInt(4) == 0);
    }

    @Property
    void damagedCompanionFileLoadsOrIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        Path dir = Scratch.newFolder();
        String damaged;
        if (r.nextBoolean()) {
            damaged = "generation_config.json";
            Scratch.write(dir.resolve(damaged), JsonMutator.mutate(GENERATION, List.of("eos_token_id", "bos_token_id"), r));
        } else {
            // a shard index that names the real file, another, a folder, or a place outside
            damaged = "model.safetensors.index.json";
            String index = "{\"metadata\":{},\"weight_map\":{\"model.embed_tokens.weight\":\"model.safetensors\","
                    + "\"model.norm.weight\":\"model.safetensors\",\"lm_head.weight\":\"model.safetensors\"}}";
            Scratch.write(dir.resolve(damaged), JsonMutator.mutate(index,
                    List.of("weight_map", "model.layers.0.input_layernorm.weight", "../x", "/etc/passwd", "."), r));
        }
        linkRest(dir, damaged);
        run(dir, "seed " + seed + " (" + damaged + ")", false);
    }

    private static void linkRest(Path dir, String except) {
        for (String name : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json")) {
            if (!name.equals(except)) {
                Scratch.link(dir.resolve(name), MODEL.resolve(name));
            }
        }
    }

    private static void run(Path dir, String input, boolean configOnly) {
        Verdict v = Guard.run(dir, () -> {
            if (configOnly) {
                ConfigOracle.check(dir.resolve("config.json"), ModelConfigReader.read(dir));
                return null;
            }
            try (CausalLm lm = CausalLm.load(dir, "cpu", "float32")) {
                ConfigOracle.check(dir.resolve("config.json"), lm.config());
                return null;
            }
        });
        STATS.record(v, input);
        Scratch.delete(dir);
    }

    @AfterContainer
    static void report() {
        STATS.publish();
    }
}
