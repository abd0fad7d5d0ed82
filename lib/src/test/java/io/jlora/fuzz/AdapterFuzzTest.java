package io.jlora.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraAdapter;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Loading a PEFT adapter folder onto the golden tiny Llama ({@link Adapters#load}) with
 * adapter_config.json damaged (wrong types, missing keys, absurd or negative ranks, patterns that
 * are not regexes) or adapter_model.safetensors damaged (header or bytes). An adapter that loads
 * is deleted again, so every input meets the same model.
 */
class AdapterFuzzTest {

    static final FuzzStats STATS = new FuzzStats("adapter");
    private static final Path ADAPTER = Seeds.adapter();
    private static final String CONFIG = Seeds.text(ADAPTER.resolve("adapter_config.json"));
    private static final byte[] WEIGHTS = Seeds.bytes(ADAPTER.resolve("adapter_model.safetensors"));
    private static final List<String> KEYS = List.of("r", "lora_alpha", "lora_dropout", "target_modules",
            "rank_pattern", "alpha_pattern", "layers_to_transform", "layers_pattern", "use_dora", "use_rslora",
            "init_lora_weights", "peft_type", "bias", "fan_in_fan_out", "modules_to_save", "lora_bias",
            "model.layers.0.self_attn.q_proj", "q_proj", "base_model_name_or_path");
    private static CausalLm lm;
    private static int next;

    @BeforeContainer
    static void loadModel() {
        lm = CausalLm.load(Seeds.model(), "cpu", "float32");
    }

    @AfterContainer
    static void report() {
        lm.close();
        STATS.publish();
    }

    @Property
    void damagedAdapterLoadsOrIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        Path dir = Scratch.newFolder();
        String damaged;
        if (r.nextInt(3) > 0) {
            damaged = "adapter_config.json";
            Scratch.write(dir.resolve(damaged), JsonMutator.mutate(CONFIG, KEYS, r));
            Scratch.link(dir.resolve("adapter_model.safetensors"), ADAPTER.resolve("adapter_model.safetensors"));
        } else {
            damaged = "adapter_model.safetensors";
            Scratch.write(dir.resolve(damaged), r.nextBoolean() ? ByteMutator.mutate(WEIGHTS, r) : damageHeader(r));
            Scratch.link(dir.resolve("adapter_config.json"), ADAPTER.resolve("adapter_config.json"));
        }
        String name = "fuzz" + next++;
        Verdict v = Guard.run(dir, () -> {
            Adapters adapters = Adapters.of(lm);
            LoraAdapter loaded = adapters.load(dir, name);
            try {
                checkMeaning(dir.resolve("adapter_config.json"), loaded.config());
            } finally {
                adapters.delete(name);
            }
            return null;
        });
        STATS.record(v, "seed " + seed + " (" + damaged + ")");
        Scratch.delete(dir);
    }

    /** An accepted rank must be the one the file says, not an int cast of it. */
    private static void checkMeaning(Path configFile, LoraConfig c) throws java.io.IOException {
        JsonNode root = JsonMutator.JSON.readTree(Files.readAllBytes(configFile));
        JsonNode r = root.get("r");
        if (r != null && !r.isNull() && !(r.canConvertToLong() && r.asLong() == c.r())) {
            throw new AssertionError(configFile + " [r]: accepted " + r + " as " + c.r());
        }
        root.path("rank_pattern").fields().forEachRemaining(e -> {
            Integer got = c.rankPattern().get(e.getKey());
            if (got == null || !e.getValue().canConvertToLong() || e.getValue().asLong() != got) {
                throw new AssertionError(configFile + " [rank_pattern]: accepted " + e.getValue() + " as " + got);
            }
        });
        JsonNode layers = root.get("layers_to_transform");
        if (layers != null && layers.isContainerNode()) {
            for (JsonNode l : layers) {
                if (!l.canConvertToLong() || !c.layersToTransform().contains((int) l.asLong()) || l.asLong() != (int) l.asLong()) {
                    throw new AssertionError(configFile + " [layers_to_transform]: accepted " + layers + " as "
                            + c.layersToTransform());
                }
            }
        }
    }

    private static byte[] damageHeader(Random r) {
        int len = (int) ByteBuffer.wrap(WEIGHTS).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(WEIGHTS, 8, len, StandardCharsets.UTF_8);
        byte[] json = JsonMutator.mutate(header, List.of("dtype", "shape", "data_offsets", "__metadata__",
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), r);
        return SafetensorsFuzzTest.layout(json.length, json, Arrays.copyOfRange(WEIGHTS, 8 + len, WEIGHTS.length));
    }
}
