package io.jlora.magics.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.data.RenderOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * What chat templates get besides the messages, as transformers' {@code apply_chat_template(tools=...,
 * **chat_template_kwargs)}: tool schemas from a JSON file (a row's own {@code tools} column wins) and
 * extra template variables such as {@code enable_thinking}.
 */
public final class ChatTemplateOptions {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--tools", paramLabel = "FILE",
            description = "tool JSON schemas (a JSON array) for the chat template; a row's 'tools' column wins")
    Path tools;

    @Option(names = "--chat-template-kwargs", paramLabel = "JSON",
            description = "extra chat template variables, e.g. '{\"enable_thinking\": false}'")
    String kwargs;

    /** The options as the chat template sees them; a bad file or JSON fails naming the option. */
    public RenderOptions renderOptions() {
        RenderOptions options = RenderOptions.defaults();
        if (tools != null) {
            JsonNode array;
            try {
                array = JSON.readTree(tools.toFile());
            } catch (IOException e) {
                throw new CommandRunner.UsageException("--tools " + tools + ": cannot read JSON: " + e.getMessage());
            }
            if (array == null || !array.isArray()) {
                throw new CommandRunner.UsageException("--tools " + tools + ": must hold a JSON array of tool schemas");
            }
            List<Object> list = new ArrayList<>();
            array.forEach(list::add);
            options = options.withTools(list);
        }
        if (kwargs != null) {
            JsonNode object;
            try {
                object = JSON.readTree(kwargs);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CommandRunner.UsageException("--chat-template-kwargs: not valid JSON: " + e.getOriginalMessage());
            }
            if (object == null || !object.isObject()) {
                throw new CommandRunner.UsageException("--chat-template-kwargs: must be a JSON object, e.g. '{\"enable_thinking\": false}'");
            }
            Map<String, Object> vars = new java.util.LinkedHashMap<>();
            object.fields().forEachRemaining(e -> vars.put(e.getKey(), e.getValue()));
            options = options.withKwargs(vars);
        }
        return options;
    }
}
