package io.jlora.model;

import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import io.jlora.model.generate.ScoreResult;
import static io.jlora.testing.GoldenLlamaTiny.DIR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.testing.GoldenLlamaTiny;
import io.jlora.testing.TestFiles;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Our decoder against transformers 5.17 on the shared llama-tiny golden vectors. */
class GoldenLlamaTest {

    @RegisterExtension
    static final GoldenLlamaTiny GOLDEN = new GoldenLlamaTiny();

    @Test
    void logitsMatchTransformers() {
        try (NDManager m = GOLDEN.lm().manager().newSubManager()) {
            NDArray ids = GOLDEN.cases().load("input_ids", m);
            NDArray logits = GOLDEN.lm().decoder().forward(ids);
            double diff = TestFiles.maxAbsDiff(logits, GOLDEN.cases().load("logits_base", m));
            assertTrue(diff < 1e-4, "max |logits - transformers| = " + diff);
        }
    }

    @Test
    void lossMatchesTransformers() {
        try (NDManager m = GOLDEN.lm().manager().newSubManager()) {
            long[] flat = GOLDEN.cases().load("input_ids", m).toLongArray();
            List<long[]> seqs = List.of(Arrays.copyOfRange(flat, 0, 16), Arrays.copyOfRange(flat, 16, 32));
            ScoreResult score = GOLDEN.lm().score(seqs);
            float expected = GOLDEN.cases().load("loss_base", m).getFloat(0);
            assertEquals(expected, score.loss(), 1e-4);
            assertEquals(30, score.tokens());
            // equal lengths: the overall mean is the mean of the per-sequence means
            assertEquals(score.loss(), (score.perSequence()[0] + score.perSequence()[1]) / 2, 1e-6);
        }
    }

    @Test
    void greedyGenerationMatchesTransformers() {
        try (NDManager m = GOLDEN.lm().manager().newSubManager()) {
            long[] expected = GOLDEN.cases().load("greedy_base", m).toLongArray();
            long[] prompt = Arrays.copyOf(GOLDEN.cases().load("input_ids", m).toLongArray(), 6);
            GenerationResult r = GOLDEN.lm().generate(prompt, GenerationConfig.greedy(10));
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
            assertArrayEquals(expected, GOLDEN.lm().encode(text), text);
            assertEquals(text, GOLDEN.lm().tokenizer().decode(expected, true));
        }
    }
}
