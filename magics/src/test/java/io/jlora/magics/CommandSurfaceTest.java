package io.jlora.magics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.magics.commands.CommandRunner;
import io.jlora.model.RandomModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command surface, through the one runner every door uses. */
class CommandSurfaceTest {
    static final Path GOLDEN = Path.of("../lib/src/test/resources/golden/llama-tiny/model");
    static LoraSession session;

    @BeforeAll
    static void open() {
        session = new LoraSession();
    }

    @AfterAll
    static void close() {
        session.close();
    }

    static CommandResult run(String... words) throws Exception {
        return new CommandRunner(session, "jlora", true).run(List.of(words)).result();
    }

    @Test
    void scoreJsonHasTheContractKeys() throws Exception {
        JsonNode json = new ObjectMapper().valueToTree(run("score", "--model", GOLDEN.toString(), "--text", "hello world", "--json").json());
        assertTrue(json.get("loss").isNumber());
        assertEquals(1, json.get("per_sequence").size());
        assertTrue(json.get("tokens").asLong() > 0);
    }

    @Test
    void generateJsonHasTheContractKeysAndIsRepeatable() throws Exception {
        var first = run("generate", "--model", GOLDEN.toString(), "--prompt-ids", "[5, 9, 23, 88, 11]", "--max-new-tokens", "6").json();
        var again = run("generate", "--prompt-ids", "[5, 9, 23, 88, 11]", "--max-new-tokens", "6").json(); // loaded model reused
        assertEquals(first.get("ids"), again.get("ids"));
        assertTrue(first.containsKey("text") && first.containsKey("tokens_per_s"));
    }

    @Test
    void chatTemplateOptionsAreCheckedAndNamed(@TempDir Path dir) throws Exception {
        Path data = Files.writeString(dir.resolve("chat.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        var e = assertThrows(CommandRunner.UsageException.class,
                () -> run("data", "--file", data.toString(), "--chat-template-kwargs", "{\"enable_thinking\": fals"));
        assertTrue(e.getMessage().contains("--chat-template-kwargs"), e.getMessage());
        Path tools = Files.writeString(dir.resolve("tools.json"), "{\"not\": \"an array\"}");
        e = assertThrows(CommandRunner.UsageException.class, () -> run("data", "--file", data.toString(), "--tools", tools.toString()));
        assertTrue(e.getMessage().contains("--tools") && e.getMessage().contains("tools.json"), e.getMessage());
        Files.writeString(tools, "[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]");
        run("data", "--file", data.toString(), "--tools", tools.toString(), "--chat-template-kwargs", "{\"enable_thinking\": false}");
        assertEquals(List.of(false), List.of(session.tokenizeOptions().chat().kwargs().values().stream()
                .map(v -> ((JsonNode) v).asBoolean()).findFirst().orElseThrow()));
        assertEquals(1, session.tokenizeOptions().chat().tools().size());
    }

    @Test
    void badOptionsNameTheOption() {
        var e = assertThrows(CommandRunner.UsageException.class, () -> run("generate", "--prompt", "x", "--max-new-tokens", "many"));
        assertTrue(e.getMessage().contains("--max-new-tokens"), e.getMessage());
        e = assertThrows(CommandRunner.UsageException.class, () -> run("generate", "--prompt-ids", "[1,"));
        assertTrue(e.getMessage().contains("--prompt-ids"), e.getMessage());
        e = assertThrows(CommandRunner.UsageException.class, () -> run("lod"));
        assertTrue(e.getMessage().contains("load"), e.getMessage());
    }

    @Test
    void installKernelIsRefusedInANotebook() {
        var e = assertThrows(CommandRunner.UsageException.class,
                () -> new CommandRunner(session, "%lora", true).run(List.of("install-kernel", "--user")));
        assertTrue(e.getMessage().contains("command-line"), e.getMessage());
    }

    @Test
    void loadsARandomQwen3Model(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("qwen3");
        RandomModels.write(model, io.jlora.model.Family.QWEN3, 32, 1, 4, 2, 64, 300, 7);
        ModelSummary summary = (ModelSummary) run("load", "--model", model.toString());
        assertEquals("qwen3", summary.json().get("family"));
        assertTrue(Files.isDirectory(model));
    }

    @Test
    void attachSaveUnloadLoadGivesTheSameScores(@TempDir Path dir) throws Exception {
        LoraSession own = new LoraSession();
        try (own) {
            CommandRunner runner = new CommandRunner(own, "jlora", true);
            runner.run(List.of("load", "--model", GOLDEN.toString()));
            runner.run(List.of("attach", "--name", "mine", "--lora-r", "4", "--init", "gaussian"));
            double base = (double) runner.run(List.of("score", "--text", "hello world")).result().json().get("loss");
            Path saved = dir.resolve("adapter");
            runner.run(List.of("save", "--output-folder", saved.toString(), "--adapter-only"));
            assertTrue(Files.exists(saved.resolve("adapter_config.json")) && Files.exists(saved.resolve("adapter_model.safetensors")));
            runner.run(List.of("unload"));
            runner.run(List.of("load-adapter", "--adapter-path", saved.toString(), "--name", "again"));
            double reloaded = (double) runner.run(List.of("score", "--text", "hello world")).result().json().get("loss");
            assertEquals(base, reloaded, 1e-6);
            var listed = runner.run(List.of("adapters", "--json")).result().json();
            assertEquals(List.of("again"), listed.get("active"));
        }
    }

    @Test
    void mergeNeedsAnOutput() {
        var e = assertThrows(CommandRunner.UsageException.class,
                () -> run("merge", "--base-model-path", GOLDEN.toString(), "--adapter-path", "x"));
        assertTrue(e.getMessage().contains("--output-folder"), e.getMessage());
    }

    @Test
    void aMistypedTokenOptionNeverEchoesTheToken() {
        var e = assertThrows(CommandRunner.UsageException.class,
                () -> run("merge", "--base-model-path", "b", "--adapter-path", "a", "--push-to-hub", "me/x", "--tokn", "hf_SECRETsecret"));
        assertTrue(!e.getMessage().contains("SECRET"), e.getMessage());
    }
}
