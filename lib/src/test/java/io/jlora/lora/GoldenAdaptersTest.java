package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsFile;
import io.jlora.model.CausalLm;
import io.jlora.model.DenseLinear;
import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The golden PEFT 0.21 adapters (plain, rsLoRA, DoRA) on the golden llama-tiny base: same logits as
 * PEFT, same merged weights as merge_and_unload, and merging is undone exactly.
 */
class GoldenAdaptersTest {

    private static final Path DIR = TestFiles.golden("llama-tiny");
    private static CausalLm lm;
    private static SafetensorsFile cases;
    private static Map<String, float[]> baseWeights;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        lm = CausalLm.load(DIR.resolve("model"), "cpu", "auto");
        cases = SafetensorsFile.open(DIR.resolve("cases.safetensors"));
        baseWeights = LoraTesting.snapshot(lm);
    }

    @AfterAll
    static void close() {
        cases.close();
        lm.close();
    }

    @AfterEach
    void unload() {
        Adapters.of(lm).unload();
        assertTrue(lm.decoder().linears().values().stream().allMatch(l -> l instanceof DenseLinear));
        assertTrue(LoraTesting.maxDiff(baseWeights, LoraTesting.snapshot(lm)) < 1e-6, "unload restored the base");
    }

    @ParameterizedTest
    @ValueSource(strings = {"adapter", "adapter-rslora", "adapter-dora"})
    void logitsMatchPeft(String variant) {
        Adapters adapters = Adapters.of(lm);
        adapters.load(DIR.resolve(variant), "default");
        assertEquals(List.of("default"), adapters.active());
        try (NDManager m = lm.manager().newSubManager()) {
            double diff = TestFiles.maxAbsDiff(logits(m), cases.load("logits_" + variant, m));
            assertTrue(diff < 1e-4, variant + ": max |logits - PEFT| = " + diff);
            try (Adapters.Disabled off = adapters.disable()) {
                double base = TestFiles.maxAbsDiff(logits(m), cases.load("logits_base", m));
                assertTrue(base < 1e-4, "disabled: max |logits - base| = " + base);
            }
            assertTrue(TestFiles.maxAbsDiff(logits(m), cases.load("logits_" + variant, m)) < 1e-4, "enabled again");
        }
    }

    @Test
    void greedyGenerationMatchesPeft() {
        Adapters.of(lm).load(DIR.resolve("adapter"), "default");
        try (NDManager m = lm.manager().newSubManager()) {
            long[] expected = cases.load("greedy_adapter", m).toLongArray();
            long[] prompt = Arrays.copyOf(cases.load("input_ids", m).toLongArray(), 6);
            GenerationResult r = lm.generate(prompt, GenerationConfig.greedy(10));
            assertArrayEquals(Arrays.copyOfRange(expected, 6, expected.length), r.ids());
        }
    }

    @Test
    void mergeGivesPeftMergedWeightsAndUnmergeRestoresTheBase() {
        Adapters adapters = Adapters.of(lm);
        adapters.load(DIR.resolve("adapter"), "default");
        adapters.merge();
        assertTrue(adapters.merged());
        try (SafetensorsCheckpoint merged = SafetensorsCheckpoint.open(DIR.resolve("merged"));
                NDManager m = lm.manager().newSubManager()) {
            assertEquals(merged.keys(), lm.decoder().parameters().keySet());
            double worst = 0;
            for (String key : merged.keys()) {
                worst = Math.max(worst, TestFiles.maxAbsDiff(lm.decoder().parameters().get(key), merged.load(key, m)));
            }
            assertTrue(worst < 1e-5, "max |merged weight - PEFT's| = " + worst);
            double diff = TestFiles.maxAbsDiff(logits(m), cases.load("logits_merged", m));
            assertTrue(diff < 1e-4, "merged: max |logits - PEFT| = " + diff);
        }
        adapters.unmerge();
        assertTrue(LoraTesting.maxDiff(baseWeights, LoraTesting.snapshot(lm)) < 1e-6, "unmerge restored the base");
    }

    @Test
    void doraMergeMatchesItsForwardAndUnmergeRestoresTheBase() {
        Adapters adapters = Adapters.of(lm);
        adapters.load(DIR.resolve("adapter-dora"), "default");
        adapters.merge();
        try (NDManager m = lm.manager().newSubManager()) {
            double diff = TestFiles.maxAbsDiff(logits(m), cases.load("logits_adapter-dora", m));
            assertTrue(diff < 1e-4, "DoRA merged: max |logits - PEFT| = " + diff);
        }
        adapters.unmerge();
        assertTrue(LoraTesting.maxDiff(baseWeights, LoraTesting.snapshot(lm)) < 1e-6, "unmerge restored the base");
    }

    @Test
    void savedMergedModelAndStreamingMergeEqualPeftMergedFolder() {
        Adapters adapters = Adapters.of(lm);
        adapters.load(DIR.resolve("adapter"), "default");
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

    private static NDArray logits(NDManager m) {
        return lm.decoder().forward(cases.load("input_ids", m));
    }
}
