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
 * about special tokens and the chat templates.
 *
 * <p>Special tokens: tokenizer.json's post-processor decides them, as in transformers 5, which drops
 * tokenizer_config.json's {@code add_bos_token} / {@code add_eos_token} whenever tokenizer.json
 * exists ({@code tokenization_utils_base}: {@code init_kwargs.pop("add_bos_token")}); chat-golden
 * tests pin this with edited flags.
 *
 * <p>Chat templates, as transformers 5 finds them: chat_template.jinja beside the config (the
 * default) and additional_chat_templates/NAME.jinja, which win over tokenizer_config.json's
 * {@code chat_template} (a string, or a list of {@code {"name", "template"}}); a processor's
 * chat_template.json is read last, for folders whose tokenizer files carry no template.
 */
public final class HfTokenizer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";
    private static final String CHAT_TEMPLATE_DIR = "additional_chat_templates";
    private static final String PROCESSOR_CHAT_TEMPLATE_FILE = "chat_template.json";

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, String> specialTokens;
    private final Map<String, Long> specialIds;
    /** Template name ("default", "tool_use", ...) to its source and the file it came from. */
    private final Map<String, String> chatTemplates;
    private final Map<String, Path> chatTemplateFiles;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, String> specialTokens,
            Map<String, Long> specialIds, Map<String, String> chatTemplates, Map<String, Path> chatTemplateFiles) {
        this.tokenizer = tokenizer;
        this.specialTokens = specialTokens;
        this.specialIds = specialIds;
        this.chatTemplates = chatTemplates;
        this.chatTemplateFiles = chatTemplateFiles;
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
        Map<String, String> templates = new LinkedHashMap<>();
        Map<String, Path> templateFiles = new LinkedHashMap<>();
        chatTemplates(dir, configFile, config, templates, templateFiles);
        return new HfTokenizer(tok, Collections.unmodifiableMap(special), Collections.unmodifiableMap(ids),
                Collections.unmodifiableMap(templates), Collections.unmodifiableMap(templateFiles));
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

    /** The default Jinja chat template, or null when the model has none. */
    public String chatTemplate() {
        return chatTemplates.get("default");
    }

    /** The file the default chat template was read from, or null. */
    public Path chatTemplateFile() {
        return chatTemplateFiles.get("default");
    }

    /** Every named chat template ("default", "tool_use", ...): name to source. */
    public Map<String, String> chatTemplates() {
        return chatTemplates;
    }

    /** The file a named chat template was read from, or null. */
    public Path chatTemplateFile(String name) {
        return chatTemplateFiles.get(name);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static void chatTemplates(Path dir, Path configFile, JsonNode config, Map<String, String> templates,
            Map<String, Path> files) {
        JsonNode t = config.get("chat_template");
        if (t != null && t.isTextual()) {
            put(templates, files, "default", t.asText(), configFile);
        } else if (t != null && t.isArray()) {
            for (JsonNode named : t) {
                put(templates, files, named.path("name").asText("default"), named.path("template").asText(), configFile);
            }
        }
        // newer transformers save templates beside the config instead of inside it; those files win
        Path jinja = dir.resolve(CHAT_TEMPLATE_FILE);
        Path extra = dir.resolve(CHAT_TEMPLATE_DIR);
        boolean hasFiles = Files.exists(jinja) || Files.isDirectory(extra);
        if (hasFiles) {
            templates.clear();
            files.clear();
        }
        if (Files.exists(jinja)) {
            put(templates, files, "default", read(jinja), jinja);
        }
        if (Files.isDirectory(extra)) {
            try (var list = Files.list(extra)) {
                for (Path f : list.sorted().toList()) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".jinja")) {
                        put(templates, files, name.substring(0, name.length() - ".jinja".length()), read(f), f);
                    }
                }
            } catch (IOException e) {
                throw new ModelFormatException(extra, null, "cannot list: " + e.getMessage(), e);
            }
        }
        Path processor = dir.resolve(PROCESSOR_CHAT_TEMPLATE_FILE);
        if (templates.isEmpty() && Files.exists(processor)) {
            JsonNode p = readJson(processor).get("chat_template");
            if (p != null && p.isTextual()) {
                put(templates, files, "default", p.asText(), processor);
            }
        }
    }

    private static void put(Map<String, String> templates, Map<String, Path> files, String name, String source, Path file) {
        templates.put(name, source);
        files.put(name, file);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
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
