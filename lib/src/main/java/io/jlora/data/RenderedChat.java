package io.jlora.data;

import java.util.List;

/**
 * A rendered conversation: the text, and the [start, end) character spans that the template wrote
 * inside {@code {% generation %}} blocks (what transformers' {@code return_assistant_tokens_mask}
 * marks as the assistant's); empty when the template has no such block.
 */
public record RenderedChat(String text, List<int[]> generationSpans) {

    public RenderedChat {
        generationSpans = List.copyOf(generationSpans);
    }

    /** True when the template marked assistant text with generation blocks. */
    public boolean hasGenerationSpans() {
        return !generationSpans.isEmpty();
    }
}
