package io.jlora.magics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.JloraException;
import io.jlora.kernel.magic.MagicException;
import io.jlora.kernel.magic.MagicProvider;
import io.jlora.kernel.magic.MagicRegistry;
import io.jlora.kernel.runtime.RichText;
import io.jlora.magics.commands.CommandRunner;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Plugs {@code %lora <command> [options]} and {@code %%lora <command>} (options as a JSON object in the
 * cell body, for long configurations) into the kernel. Errors become one clear line.
 */
public final class LoraMagics implements MagicProvider {
    @Override
    public void register(MagicRegistry registry) {
        registry.line("lora", args -> run(ShellWords.split(args)));
        registry.cell("lora", (args, body) -> {
            List<String> words = new ArrayList<>(ShellWords.split(args));
            words.addAll(optionsFromJson(body));
            return run(words);
        });
    }

    @Override
    public List<String> imports() {
        return List.of("import io.jlora.magics.Lora;");
    }

    static Object run(List<String> words) {
        try {
            CommandRunner.Outcome outcome = new CommandRunner(LoraSession.shared(), "%lora", true).run(words);
            if (outcome.helpText() != null) return new RichText("text/plain", outcome.helpText());
            if (outcome.json()) return new RichText("application/json", new ObjectMapper().writeValueAsString(outcome.result().json()));
            return outcome.result();
        } catch (JloraException | IllegalArgumentException e) {
            throw new MagicException(e.getMessage(), e);
        } catch (Exception e) {
            throw new MagicException(e.toString(), e);
        }
    }

    /** {"lora-r": 8, "use-rslora": true} becomes --lora-r 8 --use-rslora true. */
    static List<String> optionsFromJson(String body) {
        List<String> words = new ArrayList<>();
        if (body.isBlank()) return words;
        Map<String, Object> options;
        try {
            options = new ObjectMapper().readValue(body, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        } catch (Exception e) {
            throw new MagicException("%%lora: the cell body must be a JSON object of options, e.g. {\"lora-r\": 8}: " + e.getMessage());
        }
        options.forEach((key, value) -> {
            words.add(key.startsWith("-") ? key : "--" + key.replace('_', '-'));
            words.add(String.valueOf(value));
        });
        return words;
    }
}
