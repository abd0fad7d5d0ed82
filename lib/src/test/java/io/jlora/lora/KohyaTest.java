package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.JloraException;
import io.jlora.io.SafetensorsFile;
import io.jlora.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PEFT to Kohya and back keeps every delta weight; Kohya's alpha/dim is the adapter's scale. */
class KohyaTest {

    private static final Path DIR = TestFiles.golden("llama-tiny");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"adapter", "adapter-rslora"})
    void roundTripKeepsDeltaWeightsAndAlphaOverDimIsTheScale(String golden) {
        Path kohya = KohyaConverter.toKohya(DIR.resolve(golden), tmp.resolve("k.safetensors"), null, false);
        LoraConfig config = AdapterConfigJson.read(DIR.resolve(golden), "llama");
        try (SafetensorsFile k = SafetensorsFile.open(kohya); NDManager m = NDManager.newBaseManager()) {
            assertEquals(14 * 3, k.keys().size());
            String stem = "lora_model_layers_0_self_attn_q_proj";
            assertTrue(k.contains(stem + ".lora_down.weight") && k.contains(stem + ".lora_up.weight"), k.keys().toString());
            for (String key : k.keys()) {
                if (key.endsWith(".alpha")) {
                    String s = key.substring(0, key.length() - ".alpha".length());
                    double alpha = k.load(key, m).getFloat();
                    long dim = k.info(s + ".lora_down.weight").shape()[0];
                    assertEquals(config.scale("x"), alpha / dim, 1e-6, key);
                    assertEquals(0, k.info(key).shape().length, "alpha is a scalar");
                }
            }
            Map<String, String> meta = k.metadata();
            assertEquals("networks.lora", meta.get("ss_network_module"));
            assertEquals("8", meta.get("ss_network_dim"));
            assertEquals(config.useRslora() ? String.valueOf(16 * Math.sqrt(8)) : "16", meta.get("ss_network_alpha"));
        }
        // back, once guessing module paths from names and once against the base model's layers
        for (Path base : new Path[] {null, DIR.resolve("model")}) {
            Path back = tmp.resolve("back-" + (base == null ? "guessed" : "matched"));
            KohyaConverter.fromKohya(kohya, back, base, null, false);
            try (NDManager m = NDManager.newBaseManager()) {
                Map<String, NDArray> expected = deltas(DIR.resolve(golden), m);
                Map<String, NDArray> actual = deltas(back, m);
                assertEquals(expected.keySet(), actual.keySet());
                for (String module : expected.keySet()) {
                    double diff = TestFiles.maxAbsDiff(expected.get(module), actual.get(module));
                    assertTrue(diff < 1e-6, module + ": delta weights differ by " + diff);
                }
            }
        }
    }

    @Test
    void refusesDoraAndAnExistingFile() throws Exception {
        JloraException dora = assertThrows(JloraException.class,
                () -> KohyaConverter.toKohya(DIR.resolve("adapter-dora"), tmp.resolve("d.safetensors"), null, false));
        assertTrue(dora.getMessage().contains("DoRA"), dora.getMessage());
        assertTrue(!Files.exists(tmp.resolve("d.safetensors")));
        Files.writeString(tmp.resolve("taken.safetensors"), "x");
        assertThrows(JloraException.class,
                () -> KohyaConverter.toKohya(DIR.resolve("adapter"), tmp.resolve("taken.safetensors"), null, false));
        assertEquals("x", Files.readString(tmp.resolve("taken.safetensors")));
    }

    @Test
    void guessesModulePathsFromTransformersNames() {
        assertEquals("model.layers.10.self_attn.q_proj", KohyaConverter.guessPath("model_layers_10_self_attn_q_proj"));
        assertEquals("model.layers.0.mlp.gate_proj", KohyaConverter.guessPath("model_layers_0_mlp_gate_proj"));
        assertEquals("lm_head", KohyaConverter.guessPath("lm_head"));
    }

    /** scale * B A of every module of a PEFT folder. */
    private static Map<String, NDArray> deltas(Path dir, NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (AdapterCheckpoint c = AdapterCheckpoint.open(dir, "llama")) {
            for (String module : c.modules()) {
                NDArray a = c.load(module, LoraBranch.A_KEY, m);
                NDArray b = c.load(module, LoraBranch.B_KEY, m);
                out.put(module, new LoraBranch(a, b, c.config().scale(module), 0).deltaWeight(m));
            }
        }
        return out;
    }
}
