package io.jlora.magics.commands;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.JloraException;
import io.jlora.magics.CommandResult;
import io.jlora.model.CausalLm;
import io.jlora.model.generate.ScoreResult;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code score --ids FILE.json | --text T}: mean causal-LM loss with labels = inputs, as transformers. */
@Command(name = "score", description = "Mean causal-LM loss with labels = inputs, as transformers computes it.",
        footer = {"%nExamples:%n  score --model out --text \"Once upon a time\"%n  score --model models/tiny --adapter out --text \"Once upon a time\""})
public final class ScoreCommand extends LoraCommand {
    static final class Input {
        @Option(names = "--ids", paramLabel = "FILE", description = "a .json file holding an array of token-id arrays")
        Path ids;
        @Option(names = "--text", paramLabel = "T", description = "a text to tokenize")
        String text;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public CommandResult execute() throws Exception {
        CausalLm model = modelOptions.resolve(session);
        List<long[]> sequences = input.text != null ? List.of(model.encode(input.text)) : readIds(input.ids);
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i).length < 2) throw new JloraException("sequence " + i + " has fewer than 2 tokens: nothing to predict");
        }
        return new Scored(model.score(sequences));
    }

    static List<long[]> readIds(Path file) {
        if (!Files.isRegularFile(file)) throw new CommandRunner.UsageException("--ids " + file + ": no such file");
        try {
            List<List<Long>> rows = new ObjectMapper().readValue(file.toFile(), new TypeReference<List<List<Long>>>() { });
            if (rows.isEmpty()) throw new JloraException(file + " holds no sequences");
            return rows.stream().map(r -> r.stream().mapToLong(Long::longValue).toArray()).toList();
        } catch (java.io.IOException e) {
            throw new JloraException(file + " is not a JSON array of token-id arrays: " + e.getMessage());
        }
    }

    record Scored(ScoreResult score) implements CommandResult {
        @Override
        public String toString() {
            return text();
        }

        @Override
        public String text() {
            return String.format("loss %.6f over %d tokens (per sequence: %s)", score.loss(), score.tokens(), Arrays.toString(score.perSequence()));
        }

        @Override
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("loss", score.loss());
            j.put("per_sequence", Arrays.stream(score.perSequence()).boxed().toList());
            j.put("tokens", score.tokens());
            return j;
        }
    }
}
