package io.jlora.magics;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.lora.MergeTool;
import io.jlora.magics.commands.CommandRunner;
import io.jlora.model.CausalLm;
import io.jlora.quant.QuantizedModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train --quantization with the default --merge-adapter: the merged model comes from the base's float files. */
class QuantizedMergeCommandsTest extends SessionPerTest {
    static final String[] TRAIN = {"--steps", "2", "--batch-size", "4", "--max-seq-length", "32", "--lr", "1e-3"};

    List<String> train(Path model, Path out, String... more) throws Exception {
        Path data = tmp.resolve("texts.jsonl");
        if (!Files.exists(data)) {
            List<String> rows = new ArrayList<>();
            for (int i = 0; i < 8; i++) rows.add(JSON.writeValueAsString(Map.of("text", "The base model stays in place; only the adapter learns. " + i)));
            Files.write(data, rows);
        }
        List<String> words = new ArrayList<>(List.of("train", "--model", model.toString(), "--file", data.toString()));
        words.addAll(List.of(TRAIN));
        words.addAll(List.of(more));
        words.addAll(List.of("--output-folder", out.toString(), "--json"));
        return words;
    }

    @Test
    void int4TrainingMergesTheAdapterIntoTheFloatBaseFiles() throws Exception {
        Path out = tmp.resolve("runs").resolve("merged");
        JsonNode j = JSON.valueToTree(run(train(GOLDEN, out, "--quantization", "int4")).json());
        assertEquals("model", j.get("output_kind").asText(), j.toString());
        assertEquals(GOLDEN.toAbsolutePath().normalize().toString(), j.get("merged_into_base_files").asText());
        assertFalse(Files.readString(out.resolve("config.json")).contains("quantization_config"));
        // the staged adapter is gone once the merged model is in place
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertEquals(List.of(out), s.toList());
        }
        // the same files as the merge tool gives for this base and the adapter the session trained
        run(List.of("save", "--adapter-only", "--output-folder", tmp.resolve("adapter").toString()));
        MergeTool.merge(GOLDEN, tmp.resolve("adapter"), tmp.resolve("by-tool"));
        assertEquals(-1, Files.mismatch(out.resolve("model.safetensors"), tmp.resolve("by-tool").resolve("model.safetensors")));
        // save (merged, the default) in the same session gives the same model
        run(List.of("save", "--output-folder", tmp.resolve("saved").toString()));
        assertEquals(-1, Files.mismatch(out.resolve("model.safetensors"), tmp.resolve("saved").resolve("model.safetensors")));
        // and it loads as a float model
        try (CausalLm merged = CausalLm.load(out)) {
            assertTrue(merged.score(List.of(merged.encode("The base model stays in place."))).loss() > 0);
        }
    }

    @Test
    void aBaseStoredQuantizedIsRefusedBeforeTheFirstStep() throws Exception {
        Path stored = tmp.resolve("stored-int4");
        try (CausalLm lm = QuantizedModels.load(GOLDEN, "cpu", "float32", "int4")) {
            QuantizedModels.save(lm, stored);
        }
        Path out = tmp.resolve("out");
        var e = assertThrows(CommandRunner.UsageException.class, () -> run(train(stored, out)));
        assertTrue(e.getMessage().contains("--merge-adapter false") && e.getMessage().contains("stored quantized"), e.getMessage());
        assertFalse(Files.exists(out));
        assertNull(session.trainer(), "no training started");
        // and with --merge-adapter false the same run saves the adapter
        JsonNode j = JSON.valueToTree(run(train(stored, out, "--merge-adapter", "false")).json());
        assertEquals("adapter", j.get("output_kind").asText());
        assertFalse(j.has("merged_into_base_files"));
    }
}
