package io.jlora.lora;

import static io.jlora.testing.GoldenLlamaTiny.DIR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.model.DenseLinear;
import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import io.jlora.testing.GoldenLlamaTiny;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The golden PEFT 0.21 adapters (plain, rsLoRA, DoRA) on the golden llama-tiny base: same logits as
 * PEFT, same merged weights as merge_and_unload, and merging is undone exactly.
 */
class GoldenAdaptersTest {

    @RegisterExtension
    static final GoldenLlamaTiny GOLDEN = new GoldenLlamaTiny();
    private static Map<String, float[]> baseWeights;

    @TempDir
    Path tmp;

    @BeforeAll
    static void snapshotTheBase() {
        baseWeights = LoraTesting.snapshot(GOLDEN.lm());
    }

    @AfterEach
    void unload() {
        Adapters.of(GOLDEN.lm()).unload();
        assertTrue(GOLDEN.lm().decoder().linears().values().stream().allMatch(l -> l instanceof DenseLinear));
        assertTrue(LoraTesting.maxDiff(baseWeights, LoraTesting.snapshot(GOLDEN.lm())) < 1e-6, "unload restored the base");
    }

    @ParameterizedTest
    @ValueSource(strings = {"adapter", "adapter-rslora", "adapter-dora"})
    void logitsMatchPeft(String variant) {
        Adapters adapters = loaded(variant);
        assertEquals(List.of("default"), adapters.active());
        try (NDManager m = GOLDEN.lm().manager().newSubManager()) {
            assertLogitsMatch("logits_" + variant, m, variant);
            try (Adapters.Disabled off = adapters.disable()) {
                assertLogitsMatch("logits_base", m, "disabled");
            }
            assertLogitsMatch("logits_" + variant, m, "enabled again");
        }
    }

    @Test
    void greedyGenerationMatchesPeft() {
        loaded("adapter");
        try (NDManager m = GOLDEN.lm().manager().newSubManager()) {
            long[] expected = GOLDEN.cases().load("greedy_adapter", m).toLongArray();
            long[] prompt = Arrays.copyOf(GOLDEN.cases().load("input_ids", m).toLongArray(), 6);
            GenerationResult r = GOLDEN.lm().generate(prompt, GenerationConfig.greedy(10));
            assertArrayEquals(Arrays.copyOfRange(expected, 6, expected.length), r.ids());
        }
    }

    @Test
    void mergeGivesPeftMergedWeightsAndUnmergeRestoresTheBase() {
        Adapters adapters = loaded("adapter");
        adapters.merge();
        assertTrue(adapters.merged());
        try (SafetensorsCheckpoint merged = SafetensorsCheckpoint.open(DIR.resolve("merged"));
                NDManager m = GOLDEN.lm().manager().newSubManager()) {
            assertEquals(merged.keys(), GOLDEN.lm().decoder().parameters().keySet());
            double worst = 0;
            for (String key : merged.keys()) {
                worst = Math.max(worst, TestFiles.maxAbsDiff(GOLDEN.lm().decoder().parameters().get(key), merged.load(key, m)));
            }
            assertTrue(worst < 1e-5, "max |merged weight - PEFT's| = " + worst);
            assertLogitsMatch("logits_merged", m, "merged");
        }
        assertUnmergeRestoresTheBase(adapters);
    }

    @Test
    void doraMergeMatchesItsForwardAndUnmergeRestoresTheBase() {
        Adapters adapters = loaded("adapter-dora");
        adapters.merge();
        try (NDManager m = GOLDEN.lm().manager().newSubManager()) {
            assertLogitsMatch("logits_adapter-dora", m, "DoRA merged");
        }
        assertUnmergeRestoresTheBase(adapters);
    }

    @Test
    void savedMergedModelAndStreamingMergeEqualPeftMergedFolder() {
        Adapters adapters = loaded("adapter");
        List<Path> saved = adapters.saveMerged(tmp.resolve("in-memory"), false);
        MergeResult streamed = MergeTool.merge(DIR.resolve("model"), DIR.resolve("adapter"), tmp.resolve("streamed"));
        for (Path out : List.of(tmp.resolve("in-memory"), streamed.output())) {
            LoraTesting.assertSameWeights(DIR.resolve("merged"), out, 1e-5);
            assertTrue(out.resolve("tokenizer.json").toFile().isFile(), "tokenizer copied");
            assertTrue(out.resolve("config.json").toFile().isFile());
        }
        assertTrue(saved.contains(tmp.resolve("in-memory").resolve("model.safetensors")));
        assertTrue(streamed.files().contains(streamed.output().resolve("model.safetensors")));
        assertTrue(adapters.names().contains("default") && !adapters.merged(), "saving left the model as it was");
    }

    /** The golden adapter {@code variant} loaded as the model's "default" adapter. */
    private static Adapters loaded(String variant) {
        Adapters adapters = Adapters.of(GOLDEN.lm());
        adapters.load(DIR.resolve(variant), "default");
        return adapters;
    }

    /** The model's logits on the golden input are within 1e-4 of the golden case {@code expected}. */
    private static void assertLogitsMatch(String expected, NDManager m, String what) {
        double diff = TestFiles.maxAbsDiff(logits(m), GOLDEN.cases().load(expected, m));
        assertTrue(diff < 1e-4, what + ": max |logits - " + expected + "| = " + diff);
    }

    /** Unmerging gives back the base weights the class started from (within 1e-6). */
    private static void assertUnmergeRestoresTheBase(Adapters adapters) {
        adapters.unmerge();
        assertTrue(LoraTesting.maxDiff(baseWeights, LoraTesting.snapshot(GOLDEN.lm())) < 1e-6, "unmerge restored the base");
    }

    private static NDArray logits(NDManager m) {
        return GOLDEN.lm().decoder().forward(GOLDEN.cases().load("input_ids", m));
    }
}
