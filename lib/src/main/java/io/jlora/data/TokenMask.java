package io.jlora.data;

import io.jlora.model.tokenizer.HfTokenizer.TokenSpans;
import java.util.Arrays;
import java.util.List;

/**
 * Labels from trained character spans, as transformers' {@code return_assistant_tokens_mask}:
 * every token from the one holding a span's first character to the one holding its last is
 * trained; a span whose first character no token holds stops the marking (transformers takes it
 * for truncation), one whose last character no token holds runs to the end.
 */
final class TokenMask {

    private TokenMask() {}

    static long[] labels(TokenSpans tokens, List<TextSpan> spans) {
        long[] ids = tokens.ids();
        long[] labels = new long[ids.length];
        Arrays.fill(labels, Example.IGNORE);
        for (TextSpan s : spans) {
            if (s.start() == s.end()) {
                continue;
            }
            int first = tokenAt(tokens, s.start());
            if (first < 0) {
                break;
            }
            int last = tokenAt(tokens, s.end() - 1);
            int to = last < 0 ? ids.length - 1 : last;
            for (int t = first; t <= to; t++) {
                labels[t] = ids[t];
            }
        }
        return labels;
    }

    /** The first token whose characters include {@code c} (tokenizers' char_to_token), or -1. */
    static int tokenAt(TokenSpans tokens, int c) {
        int[] starts = tokens.starts();
        int[] ends = tokens.ends();
        for (int t = 0; t < starts.length; t++) {
            if (starts[t] <= c && c < ends[t]) {
                return t;
            }
        }
        return -1;
    }
}
