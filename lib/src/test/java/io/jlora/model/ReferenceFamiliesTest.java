package io.jlora.model;

import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.io.SafetensorsFile;
import io.jlora.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our decoder against transformers 5.18 on tiny random Mistral (GQA 4, sliding window), Qwen2
 * (q/k/v bias, tied), Qwen3 (q/k norm, wide heads, tied) and Llama (llama3 rope scaling, biases,
 * one KV head) models, and on the families of issue 17: Gemma 2 and 3 (and a multimodal Gemma 3's
 * text tower), Phi-3, OLMo 2 and SmolLM3, every sequence longer than the sliding windows; see
 * src/test/resources/reference/README.md.
 */
class ReferenceFamiliesTest {

    @ParameterizedTest
    @ValueSource(strings = {"mistral-tiny", "qwen2-tiny", "qwen3-tiny", "llama3-rope-tiny", "gemma2-tiny", "gemma3-tiny",
        "gemma3-mm-tiny", "phi3-tiny", "olmo2-tiny", "smollm3-tiny"})
    void logitsLossAndGreedyMatchTransformers(String name) {
        check(TestFiles.reference(name).resolve("model"), TestFiles.reference(name).resolve("cases.safetensors"));
    }

    /** The same llama3 model with its config in the transformers 4 layout (rope_theta + rope_scaling). */
    @Test
    void llama3ScalingReadFromTransformers4Layout(@TempDir Path tmp) throws Exception {
        Path src = TestFiles.reference("llama3-rope-tiny");
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(src.resolve("model/config.json").toFile());
        ObjectNode rope = (ObjectNode) config.remove("rope_parameters");
        config.set("rope_theta", rope.remove("rope_theta"));
        rope.set("type", rope.remove("rope_type")); // the oldest spelling
        config.set("rope_scaling", rope);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        Files.copy(src.resolve("model/model.safetensors"), dir.resolve("model.safetensors"));
        ModelConfig read = ModelConfigReader.read(dir);
        assertEquals(RopeConfig.Type.LLAMA3, read.rope().type());
        check(dir, src.resolve("cases.safetensors"));
    }

    /** Guards the test above: without the scaling the outputs do differ beyond tolerance. */
    @Test
    void llama3ScalingMatters(@TempDir Path tmp) throws Exception {
        Path src = TestFiles.reference("llama3-rope-tiny");
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(src.resolve("model/config.json").toFile());
        ((ObjectNode) config.get("rope_parameters")).put("rope_type", "default");
        json.writeValue(dir.resolve("config.json").toFile(), config);
        Files.copy(src.resolve("model/model.safetensors"), dir.resolve("model.safetensors"));
        try (CausalLm lm = CausalLm.load(dir, "cpu", "auto");
                SafetensorsFile cases = SafetensorsFile.open(src.resolve("cases.safetensors"));
                NDManager m = lm.manager().newSubManager()) {
            double diff = TestFiles.maxAbsDiff(lm.decoder().forward(cases.load("input_ids", m)), cases.load("logits", m));
            assertTrue(diff > 1e-2, "plain rope should differ, differs by " + diff);
        }
    }

    private static void check(Path modelDir, Path casesFile) {
        try (CausalLm lm = CausalLm.load(modelDir, "cpu", "auto");
                SafetensorsFile cases = SafetensorsFile.open(casesFile);
                NDManager m = lm.manager().newSubManager()) {
            NDArray ids = cases.load("input_ids", m);
            double diff = TestFiles.maxAbsDiff(lm.decoder().forward(ids), cases.load("logits", m));
            assertTrue(diff < 1e-4, modelDir + ": max |logits - transformers| = " + diff);

            long[] flat = ids.toLongArray();
            int batch = (int) ids.getShape().get(0);
            int length = (int) ids.getShape().get(1);
            List<long[]> seqs = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                seqs.add(Arrays.copyOfRange(flat, i * length, (i + 1) * length));
            }
            assertEquals(cases.load("loss", m).getFloat(0), lm.score(seqs).loss(), 1e-4, modelDir + " loss");
            if (cases.keys().contains("short_ids")) {
                // Phi-3: a sequence within the original context, where LongRoPE uses its short factors
                double shortDiff = TestFiles.maxAbsDiff(lm.decoder().forward(cases.load("short_ids", m)),
                        cases.load("short_logits", m));
                assertTrue(shortDiff < 1e-4, modelDir + ": short sequence, max |logits - transformers| = " + shortDiff);
            }

            long[] prompt = cases.load("prompt", m).toLongArray();
            long[] expected = cases.load("greedy", m).toLongArray();
            GenerationResult r = lm.generate(prompt, GenerationConfig.greedy(expected.length - prompt.length));
            assertArrayEquals(Arrays.copyOfRange(expected, prompt.length, expected.length), r.ids(), modelDir + " greedy");
        }
    }
}
