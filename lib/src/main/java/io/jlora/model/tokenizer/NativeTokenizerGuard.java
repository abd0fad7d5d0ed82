package io.jlora.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.io.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Refuses, before the native Hugging Face tokenizers library (DJL's build of it) sees them, the
 * tokenizer.json contents that the fuzz suite (bench/fuzz) found to abort or stall it.
 *
 * <p>Added tokens longer than {@link #MAX_ADDED_TOKEN_CHARS}: loading takes time quadratic in an
 * added token's length (2.6 s at 8,192 characters, 34 s at 32,768, minutes at 262,144), while real
 * special tokens are a few dozen characters.
 *
 * <p>BPE merges that crash the library. Building a BPE model, Hugging
 * Face tokenizers joins each merge's parts as {@code a + b[prefix_len..]}, prefix_len being the
 * UTF-8 length of {@code model.continuing_subword_prefix}; when b is shorter than that, or the cut
 * falls inside a character, the Rust code panics, and a panic cannot cross into the JVM: the
 * process aborts (found by the fuzz suite, bench/fuzz). Only those exact conditions are refused, so
 * no file the library could load is turned away.
 */
final class NativeTokenizerGuard {

    /** Longest added token accepted (characters); real ones are a few dozen. */
    static final int MAX_ADDED_TOKEN_CHARS = 1024;

    private NativeTokenizerGuard() {}

    static void check(Path file, JsonNode tokenizerJson) {
        JsonNode added = tokenizerJson.path("added_tokens");
        for (int i = 0; added.isArray() && i < added.size(); i++) {
            JsonNode content = added.get(i).path("content");
            if (content.isTextual() && content.asText().length() > MAX_ADDED_TOKEN_CHARS) {
                throw new ModelFormatException(file, "added_tokens[" + i + "].content", "an added token of "
                        + content.asText().length() + " characters (at most " + MAX_ADDED_TOKEN_CHARS
                        + "): the tokenizer library takes time quadratic in its length to load it");
            }
        }
        checkMerges(file, tokenizerJson);
    }

    private static void checkMerges(Path file, JsonNode tokenizerJson) {
        JsonNode model = tokenizerJson.path("model");
        JsonNode prefix = model.path("continuing_subword_prefix");
        JsonNode merges = model.path("merges");
        if (!prefix.isTextual() || prefix.asText().isEmpty() || !merges.isArray()) {
            return;
        }
        int cut = prefix.asText().getBytes(StandardCharsets.UTF_8).length;
        for (int i = 0; i < merges.size(); i++) {
            String second = secondPart(merges.get(i));
            if (second == null) {
                continue; // not a pair: the library refuses it with an error of its own
            }
            byte[] bytes = second.getBytes(StandardCharsets.UTF_8);
            boolean tooShort = bytes.length < cut;
            boolean insideACharacter = cut < bytes.length && (bytes[cut] & 0xC0) == 0x80;
            if (tooShort || insideACharacter) {
                throw new ModelFormatException(file, "model.merges[" + i + "]", "the merge's second part '" + second
                        + "' cannot lose model.continuing_subword_prefix '" + prefix.asText() + "' ("
                        + (tooShort ? "it is shorter" : "the cut falls inside a character")
                        + "); the tokenizer library would abort the process");
            }
        }
    }

    /** b of a merge written as ["a", "b"] or as the legacy "a b". */
    private static String secondPart(JsonNode merge) {
        if (merge.isArray() && merge.size() == 2 && merge.get(1).isTextual()) {
            return merge.get(1).asText();
        }
        if (merge.isTextual()) {
            String[] parts = merge.asText().split(" ", -1);
            return parts.length == 2 ? parts[1] : null;
        }
        return null;
    }
}
