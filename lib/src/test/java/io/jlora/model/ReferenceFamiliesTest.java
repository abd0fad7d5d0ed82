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
        Path dir = editedCopy("llama3-rope-tiny", tmp, config -> {
            ObjectNode rope = (ObjectNode) config.remove("rope_parameters");
            config.set("rope_theta", rope.remove("rope_theta"));
            rope.set("type", rope.remove("rope_type")); // the oldest spelling
            config.set("rope_scaling", rope);
        });
        ModelConfig read = ModelConfigReader.read(dir);
        assertEquals(RopeConfig.Type.LLAMA3, read.rope().type());
        check(dir, TestFiles.reference("llama3-rope-tiny").resolve("cases.safetensors"));
    }

    /** Guards the test above: without the scaling the outputs do differ beyond tolerance. */
    @Test
    void llama3ScalingMatters(@TempDir Path tmp) throws Exception {
        Path dir = editedCopy("llama3-rope-tiny", tmp,
                config -> ((ObjectNode) config.get("rope_parameters")).put("rope_type", "default"));
        double diff = logitsDiff(dir, "llama3-rope-tiny");
        assertTrue(diff > 1e-2, "plain rope should differ, differs by " + diff);
    }

    /**
     * The new families' configs in the layouts older checkpoints have: Gemma 3 with rope_theta,
     * rope_local_base_freq, rope_scaling and sliding_window_pattern instead of layer_types and
     * per-type rope_parameters (Gemma 3 1B/270M ship so); Gemma 2 and SmolLM3 without layer_types;
     * Phi-3 with rope_scaling {type: longrope} and top-level partial_rotary_factor (Phi-3.5 / Phi-4-mini).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma3-tiny", "gemma2-tiny", "smollm3-tiny", "phi3-tiny"})
    void transformers4LayoutsReadTheSame(String name, @TempDir Path tmp) throws Exception {
        Path dir = editedCopy(name, tmp, config -> {
            config.remove("layer_types");
            config.remove("_sliding_window_pattern");
            ObjectNode rope = (ObjectNode) config.remove("rope_parameters");
            if (name.startsWith("gemma3")) {
                config.put("rope_theta", 1e6);
                config.put("rope_local_base_freq", 1e4);
                config.putObject("rope_scaling").put("rope_type", "linear").put("factor", 2.0);
            } else if (name.startsWith("phi3")) {
                config.set("rope_theta", rope.remove("rope_theta"));
                config.set("partial_rotary_factor", rope.remove("partial_rotary_factor"));
                rope.remove("original_max_position_embeddings"); // the top-level one is used
                rope.set("type", rope.remove("rope_type"));
                config.set("rope_scaling", rope);
            } else {
                config.set("rope_theta", rope.get("rope_theta"));
            }
        });
        check(dir, TestFiles.reference(name).resolve("cases.safetensors"));
    }

    /**
     * Guards of the options above: with the window wider than the sequence, the local rope base set
     * to the global one, or the soft-capping off, the outputs differ beyond tolerance.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma3-tiny:window", "gemma3-tiny:local-rope", "gemma2-tiny:softcap", "smollm3-tiny:window",
        "phi3-tiny:window"})
    void optionsMatter(String which, @TempDir Path tmp) throws Exception {
        String name = which.substring(0, which.indexOf(':'));
        String option = which.substring(which.indexOf(':') + 1);
        Path dir = editedCopy(name, tmp, config -> {
            switch (option) {
                case "window" -> config.put("sliding_window", 1000);
                case "local-rope" -> ((ObjectNode) config.get("rope_parameters").get("sliding_attention"))
                        .put("rope_theta", 1e6).put("rope_type", "linear").put("factor", 2.0);
                default -> config.putNull("attn_logit_softcapping").putNull("final_logit_softcapping");
            }
        });
        double diff = logitsDiff(dir, name);
        assertTrue(diff > 1e-2, which + " should change the logits, changes them by " + diff);
    }

    /**
     * Generation's KV cache against recomputing the whole sequence each step, for prompts past the
     * sliding windows (the cached keys beyond the window must be masked out) and, for Phi-3, across
     * the LongRoPE switch.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "phi3-tiny", "smollm3-tiny", "mistral-tiny"})
    void cachedGenerationEqualsRecomputed(String name) {
        try (CausalLm lm = CausalLm.load(TestFiles.reference(name).resolve("model"), "cpu", "auto")) {
            long[] prompt = new long[12];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 2 + (i * 37L) % 120;
            }
            GenerationConfig cached = GenerationConfig.greedy(10);
            GenerationResult a = lm.generate(prompt, cached);
            GenerationResult b = lm.generate(prompt, cached.withCache(false));
            assertArrayEquals(b.ids(), a.ids(), name);
        }
    }

    /** The reference model {@code name} copied to {@code tmp/model} with its config.json edited by {@code edit}. */
    private static Path editedCopy(String name, Path tmp, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        Path src = TestFiles.reference(name).resolve("model");
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        return dir;
    }

    /** Largest difference between the logits of the model in {@code modelDir} and those of the reference {@code name}. */
    private static double logitsDiff(Path modelDir, String name) {
        try (CausalLm lm = CausalLm.load(modelDir, "cpu", "auto");
                SafetensorsFile cases = SafetensorsFile.open(TestFiles.reference(name).resolve("cases.safetensors"));
                NDManager m = lm.manager().newSubManager()) {
            return TestFiles.maxAbsDiff(lm.decoder().forward(cases.load("input_ids", m)), cases.load("logits", m));
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
