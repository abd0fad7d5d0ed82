package io.jlora.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model folder's tokenizer: tokenizer.json run by the Rust {@code tokenizers} library through
 * DJL (its natives ship in the jar, so this works offline), plus what tokenizer_config.json says
 * about special tokens and the chat template (kept as text for the chat formatting to come).
 */
public final class HfTokenizer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, String> specialTokens;
    private final Map<String, Long> specialIds;
    private final String chatTemplate;
    private final Path chatTemplateFile;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, String> specialTokens,
            Map<String, Long> specialIds, String chatTemplate, Path chatTemplateFile) {
        this.tokenizer = tokenizer;
        this.specialTokens = specialTokens;
        this.specialIds = specialIds;
        this.chatTemplate = chatTemplate;
        this.chatTemplateFile = chatTemplateFile;
    }

    /** Loads tokenizer.json (required) and tokenizer_config.json / chat_template.jinja (optional). */
    public static HfTokenizer load(Path dir) {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.exists(json)) {
            throw new ModelFormatException(json, null, "file not found");
        }
        JsonNode tokenizerJson = readJson(json);
        NativeTokenizerGuard.check(json, tokenizerJson);
        HuggingFaceTokenizer tok;
        try {
            // no truncation nor padding: transformers' tokenizer(text) does neither by default
            tok = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(json)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(json, null, "cannot load tokenizer: " + e.getMessage(), e);
        }
        Path configFile = dir.resolve("tokenizer_config.json");
        JsonNode config = Files.exists(configFile) ? readJson(configFile) : JSON.createObjectNode();
        Map<String, String> special = new LinkedHashMap<>();
        Map<String, Long> ids = new HashMap<>();
        for (String role : new String[] {"bos_token", "eos_token", "pad_token", "unk_token"}) {
            String content = tokenText(config.get(role));
            if (content != null) {
                special.put(role, content);
                Long id = idOf(tokenizerJson, content);
                if (id != null) {
                    ids.put(role, id);
                }
            }
        }
        Path jinja = dir.resolve(CHAT_TEMPLATE_FILE);
        String template = chatTemplate(jinja, config);
        return new HfTokenizer(tok, Collections.unmodifiableMap(special), Collections.unmodifiableMap(ids), template,
                template == null ? null : Files.exists(jinja) ? jinja : configFile);
    }

    /** Ids as transformers' {@code tokenizer(text)["input_ids"]}: special tokens per the post-processor. */
    public long[] encode(String text) {
        return tokenizer.encode(text).getIds();
    }

    /**
     * Ids as {@link #encode}, each with the characters it came from: {@code starts[k]..ends[k]} in
     * {@code text}'s UTF-16 indices (tokenizers' offsets count code points; an astral character
     * spans two Java chars). Special tokens added by the post-processor span nothing (start = end).
     */
    public TokenSpans encodeWithSpans(String text) {
        Encoding e = tokenizer.encode(text);
        long[] ids = e.getIds();
        CharSpan[] spans = e.getCharTokenSpans();
        int[] utf16 = new int[text.codePointCount(0, text.length()) + 1];
        for (int cp = 0, k = 0; k < text.length(); cp++) {
            utf16[cp] = k;
            k += Character.charCount(text.codePointAt(k));
        }
        utf16[utf16.length - 1] = text.length();
        int[] starts = new int[ids.length];
        int[] ends = new int[ids.length];
        for (int k = 0; k < ids.length; k++) {
            CharSpan s = spans[k];
            if (s != null) {
                starts[k] = utf16[Math.min(s.getStart(), utf16.length - 1)];
                ends[k] = utf16[Math.min(s.getEnd(), utf16.length - 1)];
            }
        }
        return new TokenSpans(ids, starts, ends);
    }

    /** Ids and the [start, end) character span of each in the encoded text (UTF-16 indices). */
    public record TokenSpans(long[] ids, int[] starts, int[] ends) {}

    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    /** Role ("bos_token", "eos_token", "pad_token", "unk_token") to token text. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** The id of a special-token role, or null. */
    public Long specialId(String role) {
        return specialIds.get(role);
    }

    /** The Jinja chat template, or null when the model has none. */
    public String chatTemplate() {
        return chatTemplate;
    }

    /** The file the chat template was read from (chat_template.jinja or tokenizer_config.json), or null. */
    public Path chatTemplateFile() {
        return chatTemplateFile;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static String chatTemplate(Path jinja, JsonNode config) {
        // newer transformers save the template beside the config instead of inside it
        if (Files.exists(jinja)) {
            try {
                return Files.readString(jinja);
            } catch (IOException e) {
                throw new ModelFormatException(jinja, null, "cannot read: " + e.getMessage(), e);
            }
        }
        JsonNode t = config.get("chat_template");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        // a list of named templates: keep the default one
        for (JsonNode named : t) {
            if ("default".equals(named.path("name").asText())) {
                return named.path("template").asText();
            }
        }
        return null;
    }

    /** A special token is either "text" or an AddedToken object {"content": "text", ...}. */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return node.isTextual() ? node.asText() : node.path("content").asText(null);
    }

    private static Long idOf(JsonNode tokenizerJson, String content) {
        for (JsonNode added : tokenizerJson.path("added_tokens")) {
            if (content.equals(added.path("content").asText())) {
                return added.path("id").asLong();
            }
        }
        JsonNode id = tokenizerJson.path("model").path("vocab").get(content);
        return id != null && id.isIntegralNumber() ? id.asLong() : null;
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }
}
