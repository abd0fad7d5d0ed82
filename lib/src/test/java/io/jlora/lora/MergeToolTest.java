package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.model.CausalLm;
import io.jlora.model.Family;
import io.jlora.model.RandomModels;
import io.jlora.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The streaming merge tool writes what the in-memory merge computes, whatever the adapter kind,
 * shards past the shard size, keeps bfloat16 weights bfloat16, and pads the vocabulary on request.
 */
class MergeToolTest {

    private static final long[][] IDS = {{5, 17, 42, 99, 3, 60, 7, 1}};

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"plain", "rslora", "dora", "pissa"})
    void streamingMergeComputesWhatTheAdapterDoes(String kind) throws Exception {
        Path base = RandomModels.write(tmp.resolve("base"), RandomModels.Spec.of(Family.LLAMA, 48, 2, 4, 2, 96, 300, 9)
                .withStd(0.1).withShardBytes(100_000));
        LoraConfig.Builder config = LoraConfig.builder().r(4).loraAlpha(8).init(LoraInit.RANDOM).rankPattern(
                java.util.Map.of("down_proj", 2));
        switch (kind) {
            case "rslora" -> config.useRslora(true);
            case "dora" -> config.useDora(true);
            case "pissa" -> config.init(LoraInit.PISSA);
            default -> { }
        }
        float[] expected;
        try (CausalLm lm = CausalLm.load(base, "cpu", "auto")) {
            Adapters adapters = Adapters.of(lm);
            adapters.add("default", config.build(), 11);
            if (kind.equals("pissa")) {
                // a trained PiSSA adapter has moved away from its initial point
                adapters.parameters("default").values().forEach(p -> p.addi(0.01f));
            }
            expected = LoraTesting.logits(lm, IDS);
            adapters.save("default", tmp.resolve("adapter"));
        }
        MergeResult r = MergeTool.merge(base, tmp.resolve("adapter"), tmp.resolve("out"),
                MergeOptions.defaults().withMaxShardBytes(100_000));
        assertTrue(r.files().stream().anyMatch(f -> f.getFileName().toString().equals("model.safetensors.index.json")),
                "sharded: " + r.files());
        assertTrue(r.files().stream().filter(f -> f.getFileName().toString().startsWith("model-0")).count() > 1, r.files().toString());
        assertTrue(Files.exists(r.output().resolve("tokenizer.json")));
        try (CausalLm merged = CausalLm.load(r.output(), "cpu", "auto")) {
            double diff = TestFiles.maxAbsDiff(expected, LoraTesting.logits(merged, IDS));
            assertTrue(diff < 1e-4, kind + ": merged model vs adapter: " + diff);
        }
    }

    @Test
    void bfloat16StaysBfloat16AndTheVocabularyIsPaddedOnRequest() throws Exception {
        Path base = RandomModels.write(tmp.resolve("bf16"), RandomModels.Spec.of(Family.QWEN2, 32, 1, 4, 2, 64, 300, 3)
                .withDtype(SafetensorsDtype.BF16).withTied(false));
        try (CausalLm lm = CausalLm.load(base, "cpu", "auto")) {
            Adapters.of(lm).add("default", LoraConfig.builder().r(2).targetModules("v_proj").init(LoraInit.RANDOM).build());
            Adapters.of(lm).save("default", tmp.resolve("a"));
        }
        MergeResult r = MergeTool.merge(base, tmp.resolve("a"), tmp.resolve("out"),
                MergeOptions.defaults().withPadToMultipleOf(64));
        assertEquals(1, r.notes().size());
        assertTrue(r.notes().get(0).contains("300 to 320"), r.notes().toString());
        JsonNode config = new ObjectMapper().readTree(r.output().resolve("config.json").toFile());
        assertEquals(320, config.get("vocab_size").asInt());
        try (SafetensorsCheckpoint out = SafetensorsCheckpoint.open(r.output());
                SafetensorsCheckpoint in = SafetensorsCheckpoint.open(base);
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(in.keys(), out.keys());
            for (String key : in.keys()) {
                assertEquals(SafetensorsDtype.BF16, out.info(key).dtype(), key);
            }
            assertEquals(List.of(320L, 32L), List.of(out.info("model.embed_tokens.weight").shape()[0],
                    out.info("model.embed_tokens.weight").shape()[1]));
            assertEquals(320, out.info("lm_head.weight").shape()[0]);
            // untouched tensors survive bf16 -> float32 -> bf16 exactly; padding rows are zero
            assertEquals(0, TestFiles.maxAbsDiff(in.load("model.layers.0.self_attn.q_proj.weight", m),
                    out.load("model.layers.0.self_attn.q_proj.weight", m)));
            assertEquals(0, TestFiles.maxAbsDiff(in.load("model.embed_tokens.weight", m),
                    out.load("model.embed_tokens.weight", m).get(":300, :")));
            assertEquals(0, out.load("lm_head.weight", m).get("300:, :").abs().sum().getFloat());
            assertTrue(TestFiles.maxAbsDiff(in.load("model.layers.0.self_attn.v_proj.weight", m),
                    out.load("model.layers.0.self_attn.v_proj.weight", m)) > 0, "v_proj merged");
        }
    }
}
