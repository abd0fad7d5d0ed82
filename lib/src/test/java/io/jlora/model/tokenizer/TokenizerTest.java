package io.jlora.model.tokenizer;

import io.jlora.model.tokenizer.HfTokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.io.ModelFormatException;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

    @TempDir
    Path tmp;

    private static final Path GOLDEN = TestFiles.golden("llama-tiny/model");

    @Test
    void specialTokensFromTokenizerConfig() {
        try (HfTokenizer t = HfTokenizer.load(GOLDEN)) {
            assertEquals("<|endoftext|>", t.specialTokens().get("eos_token"));
            assertEquals("<|pad|>", t.specialTokens().get("pad_token"));
            assertEquals(0L, t.specialId("eos_token"));
            assertEquals(1L, t.specialId("pad_token"));
            assertNull(t.chatTemplate());
            assertEquals("<|endoftext|>", t.decode(new long[] {0}, false));
            assertEquals("", t.decode(new long[] {0}, true));
        }
    }

    /** No silent truncation: transformers' tokenizer(text) does not truncate either. */
    @Test
    void longTextsAreNotTruncated() {
        try (HfTokenizer t = HfTokenizer.load(GOLDEN)) {
            String text = "Quantized bases keep memory low. ".repeat(200);
            long[] ids = t.encode(text);
            assertTrue(ids.length > 1000, "got " + ids.length);
            assertEquals(text, t.decode(ids, false));
        }
    }

    @Test
    void chatTemplateIsKept() throws IOException {
        try (HfTokenizer t = goldenTokenizerWithConfig("{\"eos_token\": {\"content\": \"<|endoftext|>\","
                + " \"special\": true}, \"chat_template\": \"{% for m in messages %}{{ m['content'] }}{% endfor %}\"}")) {
            assertEquals("{% for m in messages %}{{ m['content'] }}{% endfor %}", t.chatTemplate());
            assertEquals(0L, t.specialId("eos_token"), "AddedToken objects are read too");
        }
        Files.writeString(tmp.resolve("chat_template.jinja"), "{{ messages }}");
        try (HfTokenizer t = HfTokenizer.load(tmp)) {
            assertEquals("{{ messages }}", t.chatTemplate(), "transformers 5 writes the template beside the config");
        }
    }

    /** transformers 5's places: named templates in the config, additional_chat_templates/, a processor's JSON. */
    @Test
    void namedAndSideFileChatTemplates() throws IOException {
        try (HfTokenizer t = goldenTokenizerWithConfig("{\"chat_template\": [{\"name\": \"default\", \"template\": \"d\"},"
                + " {\"name\": \"tool_use\", \"template\": \"t\"}]}")) {
            assertEquals("d", t.chatTemplate());
            assertEquals("t", t.chatTemplates().get("tool_use"));
        }
        Files.createDirectories(tmp.resolve("additional_chat_templates"));
        Files.writeString(tmp.resolve("additional_chat_templates/tool_use.jinja"), "T");
        Files.writeString(tmp.resolve("chat_template.jinja"), "D");
        try (HfTokenizer t = HfTokenizer.load(tmp)) {
            assertEquals("D", t.chatTemplate(), "files beside the config win over its entries");
            assertEquals("T", t.chatTemplates().get("tool_use"));
            assertEquals(tmp.resolve("additional_chat_templates/tool_use.jinja"), t.chatTemplateFile("tool_use"));
        }
        Files.delete(tmp.resolve("additional_chat_templates/tool_use.jinja"));
        Files.delete(tmp.resolve("additional_chat_templates"));
        Files.delete(tmp.resolve("chat_template.jinja"));
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{}");
        Files.writeString(tmp.resolve("chat_template.json"), "{\"chat_template\": \"P\"}");
        try (HfTokenizer t = HfTokenizer.load(tmp)) {
            assertEquals("P", t.chatTemplate(), "a processor's chat_template.json when the tokenizer has none");
        }
    }

    /**
     * The golden tokenizer.json with {@code tokenizerConfig} as its tokenizer_config.json, both in
     * {@code tmp} (where a test may then add the side files transformers reads), loaded.
     */
    private HfTokenizer goldenTokenizerWithConfig(String tokenizerConfig) throws IOException {
        Files.copy(GOLDEN.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        Files.writeString(tmp.resolve("tokenizer_config.json"), tokenizerConfig);
        return HfTokenizer.load(tmp);
    }

    @Test
    void missingOrBrokenTokenizer() throws IOException {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer.json"));
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": 3}");
        e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }
}
