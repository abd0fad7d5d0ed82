package io.jlora.magics.commands;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.magics.CommandResult;
import io.jlora.magics.Html;
import io.jlora.model.CausalLm;
import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code generate --prompt TEXT | --prompt-ids '[1,2]' [--max-new-tokens 64] [--temperature 0] ...}. */
@Command(name = "generate", description = "Generates text from a prompt (greedy by default).",
        footer = {"%nExamples:%n  generate --model models/tiny --prompt \"Once upon a time\" --max-new-tokens 40",
                "  generate --model models/tiny --adapter out --prompt \"Once upon\" --temperature 0.8 --top-p 0.95 --seed 1"})
public final class GenerateCommand extends LoraCommand {
    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "the prompt text")
        String text;
        @Option(names = "--prompt-ids", paramLabel = "JSON", description = "the prompt as token ids, e.g. '[1,2,3]'")
        String ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "at most this many tokens after the prompt (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default: ${DEFAULT-VALUE})", paramLabel = "NUMBER")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 keeps all (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling threshold (default: ${DEFAULT-VALUE})", paramLabel = "FRACTION")
    double topP;

    @Option(names = "--seed", description = "makes sampling repeatable", paramLabel = "N")
    Long seed;

    @Override
    public CommandResult execute() throws Exception {
        if (maxNewTokens < 0) throw new CommandRunner.UsageException("--max-new-tokens must be 0 or more, not " + maxNewTokens);
        if (temperature < 0) throw new CommandRunner.UsageException("--temperature must be 0 or more, not " + temperature);
        if (topK < 0) throw new CommandRunner.UsageException("--top-k must be 0 or more, not " + topK);
        if (!(topP > 0 && topP <= 1)) throw new CommandRunner.UsageException("--top-p must be in (0, 1], not " + topP);
        CausalLm model = modelOptions.resolve(session);
        long[] ids = prompt.ids != null ? parseIds(prompt.ids) : model.encode(prompt.text);
        GenerationResult result = model.generate(ids, new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, true, true));
        String text = model.tokenizer() != null ? model.tokenizer().decode(result.ids(), true) : "";
        return new Generated(prompt.text, result, text);
    }

    static long[] parseIds(String json) {
        try {
            List<Long> ids = new ObjectMapper().readValue(json, new TypeReference<List<Long>>() { });
            return ids.stream().mapToLong(Long::longValue).toArray();
        } catch (Exception e) {
            throw new CommandRunner.UsageException("--prompt-ids must be a JSON array of token ids such as [1,2,3], not " + json);
        }
    }

    record Generated(String prompt, GenerationResult result, String text) implements CommandResult {
        @Override
        public String toString() {
            return text();
        }

        @Override
        public String text() {
            return (prompt != null ? prompt : "") + text + String.format("%n[%d tokens, %.1f tokens/s]", result.ids().length, result.tokensPerSecond());
        }

        @Override
        public String html() {
            return "<div style=\"white-space:pre-wrap\">" + (prompt != null ? "<span style=\"color:#888\">" + Html.escape(prompt) + "</span>" : "")
                    + "<b>" + Html.escape(text) + "</b></div>"
                    + String.format("<small>%d tokens, %.1f tokens/s</small>", result.ids().length, result.tokensPerSecond());
        }

        @Override
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("ids", Arrays.stream(result.ids()).boxed().toList());
            j.put("text", text);
            j.put("tokens_per_s", result.tokensPerSecond());
            return j;
        }
    }
}
