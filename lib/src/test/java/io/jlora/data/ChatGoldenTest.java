package io.jlora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rendered text and ids against transformers on real tokenizers and chat templates (Qwen3, DeepSeek
 * V3, Gemma 3, Llama 3.1, Llama 2; our probe template of Python semantics and our generation-block
 * template on Qwen3's tokenizer, whose cases also carry transformers' generation spans):
 * chat-golden/golden.json, written by chat-golden/make_golden.py from the files beside it. Every
 * chat case must render to transformers' text (apply_chat_template tokenize=False) and tokenize to
 * its ids (tokenize=True); every text case must give tok(text)'s ids.
 */
class ChatGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    @TestFactory
    Stream<DynamicTest> everyFamilyMatchesTransformers() throws IOException {
        Path root = TestFiles.resource("chat-golden");
        JsonNode golden = JSON.readTree(root.resolve("golden.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        golden.path("families").fields().forEachRemaining(f -> tests.add(DynamicTest.dynamicTest(f.getKey(),
                () -> checkFamily(root, golden, f.getKey(), f.getValue()))));
        assertTrue(tests.size() >= 5, "golden.json has " + tests.size() + " families");
        return tests.stream();
    }

    private static void checkFamily(Path root, JsonNode golden, String family, JsonNode cases) throws IOException {
        Path dir = unpack(root.resolve(golden.path("base").path(family).asText(family)), tmp.resolve(family),
                golden.path("config_edits").path(family));
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            TextEncoder encoder = new TextEncoder(tok);
            Path ownTemplate = root.resolve(family + ".jinja"); // probe.jinja, generation.jinja: ours
            ChatTemplate template = Files.exists(ownTemplate)
                    ? ChatTemplate.of(Files.readString(ownTemplate), tok.specialTokens())
                    : ChatTemplate.of(tok);
            int chat = 0;
            for (JsonNode c : cases.path("chat")) {
                String name = family + "/" + c.path("name").asText();
                RenderOptions options = options(c);
                if (c.has("error")) {
                    assertThrows(JloraException.class, () -> template.render(c.path("messages"), options), name);
                    continue;
                }
                RenderedChat rendered = template.render(c.path("messages"), options);
                String text = rendered.text();
                assertEquals(c.path("text").asText(), text, name + ": rendered text");
                if (c.has("generation_spans")) { // transformers counts code points, Java UTF-16 chars
                    List<String> want = new ArrayList<>();
                    c.path("generation_spans").forEach(span -> want.add(text.offsetByCodePoints(0, span.get(0).asInt())
                            + "-" + text.offsetByCodePoints(0, span.get(1).asInt())));
                    List<String> got = new ArrayList<>();
                    rendered.generationSpans().forEach(span -> got.add(span[0] + "-" + span[1]));
                    assertEquals(want, got, name + ": generation spans");
                }
                assertArrayEquals(longs(c.path("ids")), encoder.encode(text, false), name + ": ids");
                chat++;
            }
            for (JsonNode c : cases.path("text")) {
                assertArrayEquals(longs(c.path("ids")), tok.encode(c.path("text").asText()),
                        family + ": tok(" + c.path("text") + ")");
            }
            assertEquals(cases.path("chat").size(), chat + count(cases.path("chat"), "error"));
        }
    }

    private static RenderOptions options(JsonNode c) {
        List<Object> tools = c.has("tools") ? list(c.path("tools")) : null;
        List<Object> documents = c.has("documents") ? list(c.path("documents")) : null;
        Map<String, Object> kwargs = c.has("kwargs") ? JSON.convertValue(c.path("kwargs"), Map.class) : Map.of();
        return new RenderOptions(c.path("add_generation_prompt").asBoolean(false), tools, documents, kwargs);
    }

    private static List<Object> list(JsonNode array) {
        List<Object> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    private static int count(JsonNode cases, String key) {
        int n = 0;
        for (JsonNode c : cases) {
            n += c.has(key) ? 1 : 0;
        }
        return n;
    }

    private static long[] longs(JsonNode ids) {
        long[] out = new long[ids.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ids.get(k).asLong();
        }
        return out;
    }

    /** The family's files, .gz ones decompressed, with the config edits of golden.json applied. */
    private static Path unpack(Path from, Path to, JsonNode configEdits) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".gz")) {
                    try (InputStream in = new GZIPInputStream(Files.newInputStream(f))) {
                        Files.copy(in, to.resolve(name.substring(0, name.length() - 3)));
                    }
                } else {
                    Files.copy(f, to.resolve(name));
                }
            }
        }
        if (configEdits.isObject()) {
            Path config = to.resolve("tokenizer_config.json");
            ObjectNode c = (ObjectNode) JSON.readTree(config.toFile());
            c.setAll((ObjectNode) configEdits);
            JSON.writeValue(config.toFile(), c);
        }
        return to;
    }
}
