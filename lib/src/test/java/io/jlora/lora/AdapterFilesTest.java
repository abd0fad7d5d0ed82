package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.SafetensorsFile;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Adapters saved here are PEFT's files: the same key set, shapes and config keys as the golden
 * PEFT 0.21 folders of the same configuration, and they load back to identical outputs.
 */
class AdapterFilesTest {

    private static final Path DIR = TestFiles.golden("llama-tiny");
    private static final long[][] IDS = {{5, 17, 42, 99, 3, 250, 7, 1}};
    private static CausalLm lm;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        lm = CausalLm.load(DIR.resolve("model"), "cpu", "auto");
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @ParameterizedTest
    @CsvSource({"adapter,false,false", "adapter-rslora,true,false", "adapter-dora,false,true"})
    void savedFilesHavePeftsKeysShapesAndConfigKeys(String golden, boolean rslora, boolean dora) throws IOException {
        Adapters adapters = Adapters.of(lm);
        try {
            // the golden configuration: r 8, alpha 16, dropout 0, all-linear, init_lora_weights=False
            adapters.add("mine", LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0).useRslora(rslora).useDora(dora)
                    .init(LoraInit.RANDOM).build(), 7);
            List<Path> files = adapters.save("mine", tmp.resolve("out"));
            assertEquals(List.of(tmp.resolve("out/adapter_config.json"), tmp.resolve("out/adapter_model.safetensors")), files);
            assertEquals(shapes(DIR.resolve(golden)), shapes(tmp.resolve("out")), "keys and shapes");
            JsonNode ours = json(tmp.resolve("out"));
            JsonNode theirs = json(DIR.resolve(golden));
            assertEquals(keys(theirs), keys(ours), "adapter_config.json keys");
            for (String k : keys(theirs)) {
                if (k.equals("target_modules")) {
                    assertEquals(set(theirs.get(k)), set(ours.get(k)), k);
                } else if (!k.equals("base_model_name_or_path")) {
                    assertEquals(theirs.get(k).toString(), ours.get(k).toString(), k);
                }
            }
            try (Stream<Path> s = Files.list(tmp.resolve("out"))) {
                // the two PEFT files and the checksum manifest, no temporary files
                assertEquals(3, s.count(), "no temporary files left");
                assertTrue(Files.isRegularFile(tmp.resolve("out").resolve(io.jlora.io.FolderManifest.FILE)));
            }
        } finally {
            adapters.unload();
        }
    }

    @Test
    void anAdapterSavedAndLoadedBackGivesIdenticalOutputs() {
        Adapters adapters = Adapters.of(lm);
        try {
            Map<String, Integer> ranks = new LinkedHashMap<>();
            ranks.put("down_proj", 4);
            adapters.add("a", LoraConfig.builder().r(6).loraAlpha(12).targetModules("q_proj,v_proj,down_proj")
                    .rankPattern(ranks).alphaPattern(Map.of("v_proj", 3.0)).useDora(true).init(LoraInit.RANDOM).build(), 3);
            float[] before = LoraTesting.logits(lm, IDS);
            adapters.save("a", tmp.resolve("a"));
            adapters.delete("a");
            float[] base = LoraTesting.logits(lm, IDS);
            assertTrue(TestFiles.maxAbsDiff(before, base) > 1e-3, "the adapter changed the outputs");
            LoraAdapter loaded = adapters.load(tmp.resolve("a"), "b");
            assertEquals(6, loaded.modules().size());
            assertEquals(4, adapters.branch("b", "model.layers.1.mlp.down_proj").rank());
            assertEquals(3.0 / 6, adapters.branch("b", "model.layers.0.self_attn.v_proj").scale());
            assertArrayEquals(before, LoraTesting.logits(lm, IDS), "identical outputs after save and load");
        } finally {
            adapters.unload();
        }
    }

    private static Map<String, List<Long>> shapes(Path dir) {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            for (String k : new TreeSet<>(f.keys())) {
                out.put(k, java.util.Arrays.stream(f.info(k).shape()).boxed().toList());
            }
        }
        return out;
    }

    private static JsonNode json(Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
    }

    private static Set<String> keys(JsonNode n) {
        Set<String> out = new TreeSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    private static Set<String> set(JsonNode array) {
        Set<String> out = new HashSet<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }
}
