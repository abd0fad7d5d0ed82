package io.jlora.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.magics.commands.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code render} on a multi-turn Qwen3 chat file: --json gives the rendered text, ids and labels
 * that lib's golden (TRL's assistant-only mask) holds; the console text marks the trained tokens.
 */
class RenderCommandTest {

    private static final Path MASKS = Path.of("../lib/src/test/resources/masks");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private CommandResult run(String... words) throws Exception {
        return new CommandRunner(new LoraSession(), "jlora", false).run(List.of(words)).result();
    }

    @Test
    void renderJsonOnAChatFileGivesTextIdsAndTrlsLabels() throws Exception {
        JsonNode golden = JSON.readTree(MASKS.resolve("qwen3-multiturn.json").toFile()).get("rows");
        StringBuilder lines = new StringBuilder();
        for (JsonNode row : golden) {
            lines.append(JSON.writeValueAsString(JSON.createObjectNode().set("messages", row.get("messages")))).append('\n');
        }
        Path chat = tmp.resolve("chat.jsonl");
        Files.writeString(chat, lines);
        CommandResult r = run("render", "--file", chat.toString(), "--rows", "1-2", "--model", MASKS.resolve("tokenizer").toString(), "--json");
        JsonNode rows = JSON.valueToTree(r.json()).get("rows");
        assertEquals(2, rows.size());
        for (int k = 0; k < 2; k++) {
            JsonNode want = golden.get(k + 1);
            assertEquals(want.get("text"), rows.get(k).get("text"));
            assertEquals(want.get("ids").toString(), rows.get(k).get("ids").toString());
            assertEquals(want.get("labels").toString(), rows.get(k).get("labels").toString());
        }
        assertTrue(r.text().contains("<|im_start|>assistant\n«Très bien, merci ! 你好<|im_end|>\n»"), r.text());
        assertTrue(r.html().contains("<span style=\"background:#c6f6c6\">Très bien"), r.html());
        // every token trained when asked
        JsonNode all = JSON.valueToTree(run("render", "--file", chat.toString(), "--rows", "0", "--model",
                MASKS.resolve("tokenizer").toString(), "--assistant-only-loss", "false").json()).get("rows").get(0);
        assertEquals(all.get("ids").toString(), all.get("labels").toString());
        assertThrows(Exception.class, () -> run("render", "--file", chat.toString(), "--rows", "7", "--model",
                MASKS.resolve("tokenizer").toString()));
    }
}
