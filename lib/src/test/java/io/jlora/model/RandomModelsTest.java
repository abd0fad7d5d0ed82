package io.jlora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsFile;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomModelsTest {

    @TempDir
    Path tmp;

    @Test
    void sameSeedSameBytes() throws IOException {
        Path a = RandomModels.write(tmp.resolve("a"), Family.MISTRAL, 32, 2, 4, 2, 48, 64, 9);
        Path b = RandomModels.write(tmp.resolve("b"), Family.MISTRAL, 32, 2, 4, 2, 48, 64, 9);
        Path c = RandomModels.write(tmp.resolve("c"), Family.MISTRAL, 32, 2, 4, 2, 48, 64, 10);
        byte[] wa = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(wa, Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(java.util.Arrays.equals(wa, Files.readAllBytes(c.resolve("model.safetensors"))));
        assertFalse(Files.exists(a.resolve("tokenizer.json")), "vocab 64 is too small for the byte-level tokenizer");
    }

    /** Every family's folder loads, with the parameter count the config implies. */
    @Test
    void everyFamilyLoads() {
        for (Family f : RandomModels.WRITTEN) {
            Path dir = RandomModels.write(tmp.resolve(f.modelType()), f, 32, 1, 4, 2, 48, 300, 1);
            try (CausalLm lm = CausalLm.load(dir, "cpu", "auto")) {
                assertEquals(f, lm.config().family());
                long params = lm.decoder().parameters().values().stream().mapToLong(NDArray::size).sum();
                assertEquals(lm.config().parameterCount(), params, f.toString());
                assertTrue(lm.tokenizer() != null);
            }
        }
    }

    /** A BF16 checkpoint loads as float32, each value exactly the stored bfloat16. */
    @Test
    void bf16CheckpointLoadsAsFloat32() {
        Path dir = RandomModels.write(tmp.resolve("bf16"),
                RandomModels.Spec.of(Family.LLAMA, 32, 1, 4, 2, 48, 64, 2).withDtype(SafetensorsDtype.BF16));
        try (CausalLm lm = CausalLm.load(dir, "cpu", "auto");
                SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertEquals(SafetensorsDtype.BF16, f.info("model.embed_tokens.weight").dtype());
            NDArray w = lm.decoder().parameters().get("model.embed_tokens.weight");
            assertEquals(DataType.FLOAT32, w.getDataType());
            for (float v : w.toFloatArray()) {
                assertEquals(0, Float.floatToRawIntBits(v) & 0xFFFF, "low 16 bits are zero in a widened bfloat16");
            }
            assertEquals("bfloat16", lm.config().torchDtype());
        }
    }

    /** Sharded output (index + shards) loads to the same model as a single file. */
    @Test
    void shardedEqualsSingleFile() throws IOException {
        RandomModels.Spec spec = RandomModels.Spec.of(Family.QWEN3, 32, 2, 4, 2, 48, 64, 4);
        Path single = RandomModels.write(tmp.resolve("single"), spec);
        Path sharded = RandomModels.write(tmp.resolve("sharded"), spec.withShardBytes(20_000));
        try (Stream<Path> files = Files.list(sharded)) {
            assertTrue(files.filter(p -> p.toString().endsWith(".safetensors")).count() > 2);
        }
        assertTrue(Files.exists(sharded.resolve(SafetensorsCheckpoint.INDEX_FILE)));
        try (CausalLm a = CausalLm.load(single, "cpu", "auto"); CausalLm b = CausalLm.load(sharded, "cpu", "auto");
                NDManager m = a.manager().newSubManager()) {
            NDArray ids = m.create(new long[] {1, 2, 3, 4}).reshape(1, 4);
            assertEquals(0, TestFiles.maxAbsDiff(a.decoder().forward(ids), b.decoder().forward(ids)));
        }
    }

    /** A checkpoint whose tensor disagrees with config.json names the tensor and both shapes. */
    @Test
    void checkpointNotMatchingConfig() throws IOException {
        Path dir = RandomModels.write(tmp.resolve("m"), Family.LLAMA, 32, 1, 4, 2, 48, 64, 1);
        String config = Files.readString(dir.resolve("config.json")).replace("\"intermediate_size\" : 48", "\"intermediate_size\" : 50");
        Files.writeString(dir.resolve("config.json"), config);
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.jlora.io.ModelFormatException.class,
                () -> CausalLm.load(dir, "cpu", "auto"));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight") && e.getMessage().contains("[48, 32]")
                && e.getMessage().contains("[50, 32]"), e.getMessage());
        Path dir2 = RandomModels.write(tmp.resolve("m2"), RandomModels.Spec.of(Family.LLAMA, 32, 1, 4, 2, 48, 64, 1).withTied(true));
        Files.writeString(dir2.resolve("config.json"),
                Files.readString(dir2.resolve("config.json")).replace("\"tie_word_embeddings\" : true", "\"tie_word_embeddings\" : false"));
        e = org.junit.jupiter.api.Assertions.assertThrows(io.jlora.io.ModelFormatException.class,
                () -> CausalLm.load(dir2, "cpu", "auto"));
        assertTrue(e.getMessage().contains("[lm_head.weight]") && e.getMessage().contains("model.safetensors"), e.getMessage());
    }
}
