package io.jlora.data;

import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.model.tokenizer.HfTokenizer.TokenSpans;
import java.util.Arrays;

/**
 * Text to ids with or without the special tokens that the tokenizer's post-processor adds (a BOS
 * in front, say), like transformers' {@code add_special_tokens}. {@link HfTokenizer#encode} always
 * adds them; here they are found once, from the ids of "" and of a probe, and cut off when not
 * wanted (chat templates write their own).
 */
final class TextEncoder {

    private final HfTokenizer tokenizer;
    private final long[] prefix;
    private final long[] suffix;
    private final Long eos;

    TextEncoder(HfTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        long[] empty = tokenizer.encode("");
        long[] probe = tokenizer.encode("a");
        int common = 0;
        while (common < empty.length && common < probe.length && empty[common] == probe[common]) {
            common++;
        }
        this.prefix = Arrays.copyOf(empty, common);
        this.suffix = Arrays.copyOfRange(empty, common, empty.length);
        this.eos = tokenizer.specialId("eos_token");
    }

    HfTokenizer tokenizer() {
        return tokenizer;
    }

    /** The tokenizer's EOS id, or null. */
    Long eos() {
        return eos;
    }

    /** Ids as {@code tokenizer(text, add_special_tokens=special)}. */
    long[] encode(String text, boolean special) {
        long[] ids = tokenizer.encode(text);
        if (special) {
            return ids;
        }
        return strip(ids);
    }

    /** Ids as {@code tokenizer(text, add_special_tokens=False)} with each one's characters in {@code text}. */
    TokenSpans encodeWithSpans(String text) {
        TokenSpans all = tokenizer.encodeWithSpans(text);
        long[] ids = all.ids();
        int from = prefix.length > 0 && startsWith(ids, prefix) ? prefix.length : 0;
        int to = suffix.length > 0 && endsWith(ids, suffix) ? ids.length - suffix.length : ids.length;
        to = Math.max(from, to);
        return new TokenSpans(Arrays.copyOfRange(ids, from, to), Arrays.copyOfRange(all.starts(), from, to),
                Arrays.copyOfRange(all.ends(), from, to));
    }

    /** Ids with the leading special tokens but without the trailing ones (a prompt to be continued). */
    long[] encodePrefix(String text) {
        long[] ids = tokenizer.encode(text);
        if (suffix.length > 0 && endsWith(ids, suffix)) {
            return Arrays.copyOf(ids, ids.length - suffix.length);
        }
        return ids;
    }

    private long[] strip(long[] ids) {
        int from = prefix.length > 0 && startsWith(ids, prefix) ? prefix.length : 0;
        int to = suffix.length > 0 && endsWith(ids, suffix) ? ids.length - suffix.length : ids.length;
        return from <= to ? Arrays.copyOfRange(ids, from, to) : new long[0];
    }

    private static boolean startsWith(long[] ids, long[] p) {
        if (ids.length < p.length) {
            return false;
        }
        for (int k = 0; k < p.length; k++) {
            if (ids[k] != p[k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean endsWith(long[] ids, long[] s) {
        if (ids.length < s.length) {
            return false;
        }
        for (int k = 0; k < s.length; k++) {
            if (ids[ids.length - s.length + k] != s[k]) {
                return false;
            }
        }
        return true;
    }
}
