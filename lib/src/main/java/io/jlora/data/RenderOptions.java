package io.jlora.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a chat template is rendered with besides the messages, as transformers'
 * {@code apply_chat_template(messages, add_generation_prompt=..., tools=..., documents=..., **kwargs)}:
 * the generation prompt flag, tool JSON schemas ({@code {"type": "function", "function": {...}}}),
 * documents (RAG), and any other template variables ({@code enable_thinking}, ...), which win over
 * the special tokens of the same name. Values may be Jackson nodes or plain Java maps, lists,
 * strings, numbers and booleans. Tools and documents left null are {@code none} to the template
 * (defined, falsy), as in transformers.
 */
public record RenderOptions(boolean addGenerationPrompt, List<?> tools, List<?> documents, Map<String, ?> kwargs) {

    public RenderOptions {
        tools = tools == null ? null : List.copyOf(tools);
        documents = documents == null ? null : List.copyOf(documents);
        kwargs = kwargs == null ? Map.of() : new LinkedHashMap<>(kwargs);
    }

    /** No generation prompt, no tools, no documents, no extra variables. */
    public static RenderOptions defaults() {
        return new RenderOptions(false, null, null, Map.of());
    }

    public RenderOptions withGenerationPrompt(boolean add) {
        return new RenderOptions(add, tools, documents, kwargs);
    }

    public RenderOptions withTools(List<?> newTools) {
        return new RenderOptions(addGenerationPrompt, newTools, documents, kwargs);
    }

    public RenderOptions withDocuments(List<?> newDocuments) {
        return new RenderOptions(addGenerationPrompt, tools, newDocuments, kwargs);
    }

    /** These variables replace the extra ones set so far. */
    public RenderOptions withKwargs(Map<String, ?> newKwargs) {
        return new RenderOptions(addGenerationPrompt, tools, documents, newKwargs);
    }
}
