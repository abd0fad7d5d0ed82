package io.jlora.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.data.ChatTemplate;
import io.jlora.data.DataException;
import io.jlora.data.Dataset;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.lora.AdapterConfigJson;
import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.model.ModelConfigReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One regression test for each distinct bug the fuzz suite found, with the smallest input that
 * showed it. Each failed before its fix (an escape, or a value silently misread) and must now be
 * refused with the file and key named.
 */
class FuzzFoundBugsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A NUL in a shard name escaped as java.nio.file.InvalidPathException from SafetensorsCheckpoint.open. */
    @Test
    void shardIndexWithUnusableFileNameIsRefused() throws IOException {
        Path index = Files.writeString(tmp.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.norm.weight\": \"model\\u0000.safetensors\"}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsCheckpoint.open(tmp));
        assertEquals(index, e.file());
        assertEquals("model.norm.weight", e.key());
    }

    /** hidden_size 2^32 + 16 was read through an int cast as 16, and a 16-wide model loaded. */
    @Test
    void configSizePastIntIsRefusedNotWrapped() throws IOException {
        String config = Seeds.text(Seeds.model().resolve("config.json")).replace("\"hidden_size\": 64", "\"hidden_size\": 4294967360");
        Files.writeString(tmp.resolve("config.json"), config);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfigReader.read(tmp));
        assertEquals("hidden_size", e.key());
        assertTrue(e.getMessage().contains(tmp.resolve("config.json").toString()) && e.getMessage().contains("4294967360"),
                e.getMessage());
    }

    /** Token ids, flags and numbers of the wrong JSON type were read as 0 / false instead of refused. */
    @Test
    void configValuesOfTheWrongTypeAreRefused() throws IOException {
        String seed = Seeds.text(Seeds.model().resolve("config.json"));
        String[][] cases = {
            {"\"eos_token_id\": 0", "\"eos_token_id\": [\"</s>\"]", "eos_token_id"},
            {"\"bos_token_id\": 0", "\"bos_token_id\": \"x\"", "bos_token_id"},
            {"\"tie_word_embeddings\": false", "\"tie_word_embeddings\": \"no\"", "tie_word_embeddings"},
            {"\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": \"tiny\"", "rms_norm_eps"},
            {"\"rope_theta\": 10000.0", "\"rope_theta\": \"big\"", "rope_parameters.rope_theta"},
        };
        for (String[] c : cases) {
            assertTrue(seed.contains(c[0]), c[0]);
            Files.writeString(tmp.resolve("config.json"), seed.replace(c[0], c[1]));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfigReader.read(tmp), c[1]);
            assertEquals(c[2], e.key(), e.getMessage());
        }
    }

    /** r, rank_pattern and layers_to_transform past int were read through an int cast (2^32 + 8 as 8). */
    @Test
    void adapterIntegersPastIntAreRefusedNotWrapped() throws IOException {
        String seed = Seeds.text(Seeds.adapter().resolve(AdapterConfigJson.FILE));
        String[][] cases = {
            {"\"r\": 8", "\"r\": 4294967304", "r"},
            {"\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 4294967304}", "rank_pattern"},
            {"\"layers_to_transform\": null", "\"layers_to_transform\": [4294967296]", "layers_to_transform"},
        };
        for (String[] c : cases) {
            assertTrue(seed.contains(c[0]), c[0]);
            Files.writeString(tmp.resolve(AdapterConfigJson.FILE), seed.replace(c[0], c[1]));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> AdapterConfigJson.read(tmp, "llama"));
            assertEquals(c[2], e.key(), e.getMessage());
            assertTrue(e.getMessage().contains(AdapterConfigJson.FILE), e.getMessage());
        }
    }

    /** A dataset with bytes that are not UTF-8 was refused as "cannot read: Input length = 1". */
    @Test
    void datasetThatIsNotUtf8SaysSo() throws IOException {
        Path file = tmp.resolve("data.jsonl");
        Files.write(file, new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        DataException e = assertThrows(DataException.class, () -> Dataset.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("not UTF-8"), e.getMessage());
        assertEquals(1, e.line());
    }

    /**
     * Chat template failures said "chat template: ..." without naming chat_template.jinja or
     * tokenizer_config.json; a deep nesting escaped as StackOverflowError, an integer literal past
     * long and a bad \\u escape as NumberFormatException, 1 // 0 as ArithmeticException; range(10**11) and 'x' * 10**10
     * ran out of memory, and range(10, 1, 0) never ended.
     */
    @Test
    void hostileChatTemplatesAreRefusedNamingTheirFile() throws IOException {
        Files.copy(Seeds.model().resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        String[] templates = {
            "{{ messages[0]['content'] ",
            "{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}",
            "{{ 1" + " + 1".repeat(200_000) + " }}",
            "{{ 99999999999999999999999 }}",
            "{{ 1 // 0 }}",
            "{% for i in range(100000000000) %}{% endfor %}",
            "{% for i in range(10, 1, 0) %}{% endfor %}",
            "{{ 'x' * 10000000000 }}",
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "{{ range('a') }}",
            "{{ '\\uend|' }}",
            "{{ '\\u0",
        };
        for (String t : templates) {
            Path file = Files.writeString(tmp.resolve("chat_template.jinja"), t);
            JloraException e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(JloraException.class, () -> {
                try (HfTokenizer tok = HfTokenizer.load(tmp)) {
                    ChatTemplate.of(tok).render(JsonNodeFactory.instance.arrayNode()
                            .add(JsonNodeFactory.instance.objectNode().put("role", "user").put("content", "hi")), true);
                }
            }), t.substring(0, Math.min(60, t.length())));
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        }
    }

    /** The shipped tiny model's tokenizer.json, to be edited into a bad one. */
    private static ObjectNode tinyTokenizer() throws IOException {
        Path source = Path.of("").toAbsolutePath().getParent().resolve("models/tiny-llama/tokenizer.json");
        return (ObjectNode) JSON.readTree(source.toFile());
    }

    /** Writes {@code tokenizer} as tokenizer.json of a new folder {@code name}; returns the folder. */
    private Path tokenizerFolder(String name, ObjectNode tokenizer) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);
        return dir;
    }

    @Test
    void aHugeAddedTokenIsRefusedBeforeTheNativeLibraryStallsOnIt() throws IOException {
        // loading took minutes (time quadratic in the token's length): a fuzz hang of 2026-11-29
        ObjectNode tokenizer = tinyTokenizer();
        ((ObjectNode) tokenizer.get("added_tokens").get(1)).put("content", "x".repeat(262_144));
        Path dir = tokenizerFolder("added", tokenizer);
        ModelFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir)));
        assertTrue(e.getMessage().contains("added_tokens[1].content"), e.getMessage());
    }

    /**
     * A BPE merge whose second part is shorter than model.continuing_subword_prefix made the native
     * tokenizer library panic while building the model, which aborted the JVM (bench/fuzz run of
     * 2026-11-29, tokenizer target). Without the guard this test takes its JVM down.
     */
    @Test
    void bpeMergeShorterThanTheSubwordPrefixIsRefusedBeforeTheNativeLibrary() throws IOException {
        ObjectNode tokenizer = tinyTokenizer();
        ObjectNode model = (ObjectNode) tokenizer.get("model");
        model.put("continuing_subword_prefix", "x".repeat(24));
        model.putArray("merges").addArray().add("e").add("s");
        Path dir = tokenizerFolder("bpe", tokenizer);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("model.merges[0]"), e.getMessage());
        // the legacy "a b" form too, and a cut inside a two-byte character
        model.put("continuing_subword_prefix", "#");
        model.putArray("merges").add("e \u00e9");
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);
        e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains("inside a character"), e.getMessage());
    }
}
