package io.jlora.model;

import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import io.jlora.model.generate.ScoreResult;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.SafetensorsFile;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our decoder against transformers 5.17 on the shared llama-tiny golden vectors. */
class GoldenLlamaTest {

    private static final Path DIR = TestFiles.golden("llama-tiny");
    private static CausalLm lm;
    private static SafetensorsFile cases;

    @BeforeAll
    static void load() {
        lm = CausalLm.load(DIR.resolve("model"), "cpu", "auto");
        cases = SafetensorsFile.open(DIR.resolve("cases.safetensors"));
    }

    @AfterAll
    static void close() {
        cases.close();
        lm.close();
    }

    @Test
    void logitsMatchTransformers() {
        try (NDManager m = lm.manager().newSubManager()) {
            NDArray ids = cases.load("input_ids", m);
            NDArray logits = lm.decoder().forward(ids);
            double diff = TestFiles.maxAbsDiff(logits, cases.load("logits_base", m));
            assertTrue(diff < 1e-4, "max |logits - transformers| = " + diff);
        }
    }

    @Test
    void lossMatchesTransformers() {
        try (NDManager m = lm.manager().newSubManager()) {
            long[] flat = cases.load("input_ids", m).toLongArray();
            List<long[]> seqs = List.of(Arrays.copyOfRange(flat, 0, 16), Arrays.copyOfRange(flat, 16, 32));
            ScoreResult score = lm.score(seqs);
            float expected = cases.load("loss_base", m).getFloat(0);
            assertEquals(expected, score.loss(), 1e-4);
            assertEquals(30, score.tokens());
            // equal lengths: the overall mean is the mean of the per-sequence means
            assertEquals(score.loss(), (score.perSequence()[0] + score.perSequence()[1]) / 2, 1e-6);
        }
    }

    @Test
    void greedyGenerationMatchesTransformers() {
        try (NDManager m = lm.manager().newSubManager()) {
            long[] expected = cases.load("greedy_base", m).toLongArray();
            long[] prompt = Arrays.copyOf(cases.load("input_ids", m).toLongArray(), 6);
            GenerationResult r = lm.generate(prompt, GenerationConfig.greedy(10));
            long[] all = new long[prompt.length + r.ids().length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(r.ids(), 0, all, prompt.length, r.ids().length);
            assertArrayEquals(expected, all);
        }
    }

    @Test
    void tokenizerMatchesTokenizersLibrary() throws Exception {
        JsonNode tc = new ObjectMapper().readTree(DIR.resolve("tokenizer_cases.json").toFile());
        for (int i = 0; i < tc.get("texts").size(); i++) {
            String text = tc.get("texts").get(i).asText();
            long[] expected = new ObjectMapper().convertValue(tc.get("ids").get(i), long[].class);
            assertArrayEquals(expected, lm.encode(text), text);
            assertEquals(text, lm.tokenizer().decode(expected, true));
        }
    }
}
