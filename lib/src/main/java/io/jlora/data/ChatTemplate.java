package io.jlora.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.JloraException;
import io.jlora.data.jinja.Template;
import io.jlora.data.jinja.TemplateException;
import io.jlora.model.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer's chat template (chat_template.jinja or tokenizer_config.json's {@code chat_template}),
 * rendered as transformers' {@code apply_chat_template(messages, tokenize=False,
 * add_generation_prompt=..., tools=..., documents=..., **kwargs)} does, by jlora's Jinja
 * ({@link Template}, Python's jinja2 semantics). {@link #render(List, RenderOptions)} also returns
 * the character spans written inside {@code {% generation %}} blocks. When tools are given and the
 * tokenizer has a "tool_use" template, that one renders, as in transformers. A tokenizer without a
 * template gets ChatML ({@link #CHATML}). A template outside the subset fails when it is parsed,
 * with the construct and its line named.
 */
public final class ChatTemplate {

    /** ChatML, the fallback: {@code <|im_start|>role\ncontent<|im_end|>\n} per message. */
    public static final String CHATML = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private final Template template;
    private final Map<String, String> specialTokens;
    private final boolean fallback;
    /** Where the template was read from, named in every error; null for one given as text. */
    private final Path file;
    /** The tokenizer's "tool_use" template, which transformers renders instead when tools are given; or null. */
    private ChatTemplate toolUse;

    private ChatTemplate(Template template, Map<String, String> specialTokens, boolean fallback, Path file) {
        this.template = template;
        this.specialTokens = specialTokens;
        this.fallback = fallback;
        this.file = file;
    }

    /** The tokenizer's template, or ChatML when it has none; also its "tool_use" template, if any. */
    public static ChatTemplate of(HfTokenizer tokenizer) {
        String source = tokenizer.chatTemplate();
        ChatTemplate t = source == null ? new ChatTemplate(Template.parse(CHATML), tokenizer.specialTokens(), true, null)
                : of(source, tokenizer.specialTokens(), tokenizer.chatTemplateFile());
        String toolUse = tokenizer.chatTemplates().get("tool_use");
        if (toolUse != null) {
            t.toolUse = of(toolUse, tokenizer.specialTokens(), tokenizer.chatTemplateFile("tool_use"));
        }
        return t;
    }

    /**
     * A template from its source; {@code specialTokens} maps "bos_token", "eos_token", ... to their
     * text, as the template sees them.
     */
    public static ChatTemplate of(String source, Map<String, String> specialTokens) {
        return of(source, specialTokens, null);
    }

    private static ChatTemplate of(String source, Map<String, String> specialTokens, Path file) {
        try {
            return new ChatTemplate(Template.parse(source), Map.copyOf(specialTokens), false, file);
        } catch (TemplateException e) {
            throw new JloraException(where(file) + "chat template: " + e.getMessage()
                    + " (jlora renders a Jinja subset: if/for/set, filters and tests common in chat templates;"
                    + " give the tokenizer a simpler template in tokenizer_config.json, or use a text or"
                    + " prompt/completion dataset)", e);
        }
    }

    /** True when the tokenizer had no template and ChatML is used. */
    public boolean isFallback() {
        return fallback;
    }

    /** Renders a JSON array of {@code {"role": ..., "content": ...}} objects. */
    public String render(JsonNode messages, boolean addGenerationPrompt) {
        return render(messages, RenderOptions.defaults().withGenerationPrompt(addGenerationPrompt)).text();
    }

    /** Renders messages given as maps (role, content and any other keys the template reads). */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return render(messages, RenderOptions.defaults().withGenerationPrompt(addGenerationPrompt)).text();
    }

    /** Renders a JSON array of messages with tools, documents and other template variables. */
    public RenderedChat render(JsonNode messages, RenderOptions options) {
        Object value = Template.fromJson(messages);
        if (!(value instanceof List<?> list)) {
            throw new JloraException("chat messages must be a JSON array of {\"role\", \"content\"} objects");
        }
        return renderValues(list, options);
    }

    /**
     * As transformers' {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...,
     * tools=..., documents=..., **kwargs)}, with the generation blocks' spans.
     */
    public RenderedChat render(List<? extends Map<String, ?>> messages, RenderOptions options) {
        return renderValues((List<?>) Template.value(messages), options);
    }

    private RenderedChat renderValues(List<?> messages, RenderOptions options) {
        if (toolUse != null && options.tools() != null) {
            return toolUse.renderValues(messages, options);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        specialTokens.forEach(vars::put);
        options.kwargs().forEach((k, v) -> vars.put(k, Template.value(v)));
        vars.put("messages", new ArrayList<Object>(messages));
        vars.put("tools", options.tools() == null ? null : Template.value(options.tools()));
        vars.put("documents", options.documents() == null ? null : Template.value(options.documents()));
        vars.put("add_generation_prompt", options.addGenerationPrompt());
        try {
            Template.Rendered r = template.renderWithSpans(vars);
            return new RenderedChat(r.text(), r.generationSpans());
        } catch (TemplateException e) {
            if (e.raisedByTemplate()) {
                throw new JloraException(where(file) + "the chat template rejects this conversation: " + e.getMessage(), e);
            }
            throw new JloraException(where(file) + "chat template: " + e.getMessage(), e);
        }
    }

    /** "file: " when the template came from one, so that the user knows which file to fix. */
    private static String where(Path file) {
        return file == null ? "" : file + ": ";
    }
}
