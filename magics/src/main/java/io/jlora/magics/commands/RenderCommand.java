package io.jlora.magics.commands;

import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.RenderedRow;
import io.jlora.data.TokenizeOptions;
import io.jlora.magics.CommandResult;
import io.jlora.model.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code render [--file F] [--rows 0-2] [--model DIR]}: what rows of a dataset become for
 * training: the rendered text, the ids and which tokens carry loss, under the same options as
 * {@code data} and {@code train}. Needs only the tokenizer of --model (no weights are loaded), else
 * the loaded model's.
 */
@Command(name = "render", description = "Shows what dataset rows become for training: rendered text, ids, and the tokens that carry loss (highlighted).")
public final class RenderCommand extends LoraCommand {

    @Option(names = {"--file", "--data"}, paramLabel = "F", description = "dataset file (default: the session's, from 'data')")
    Path file;

    @Option(names = "--rows", defaultValue = "0-2", paramLabel = "SPEC",
            description = "rows (0-based records) to show: 3, 0-2 or 0,4,7 (default: ${DEFAULT-VALUE}, as many as exist)")
    String rows;

    @Option(names = "--model", paramLabel = "DIR", description = "model folder whose tokenizer and chat template to use (default: the loaded model's)")
    Path model;

    @Option(names = "--max-seq-length", paramLabel = "N", description = "cut rows as training would (default: the session's, else 512)")
    Integer maxSeqLength;

    @Mixin
    LossOptions loss = new LossOptions();

    @Override
    public CommandResult execute() {
        Dataset data;
        TokenizeOptions options;
        if (file != null) {
            if (!Files.isRegularFile(file)) throw new CommandRunner.UsageException("--file " + file + ": no such file");
            data = Dataset.load(file, DataFormat.auto());
            options = TokenizeOptions.defaults();
        } else {
            data = session.dataset();
            options = session.tokenizeOptions();
        }
        try {
            if (maxSeqLength != null) options = options.withMaxSeqLength(maxSeqLength);
        } catch (IllegalArgumentException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
        options = loss.apply(options);
        List<Integer> picked = rows(rows, data.size());
        if (model != null) {
            if (!Files.isDirectory(model)) throw new CommandRunner.UsageException("--model " + model + ": no such folder");
            try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
                return RenderedRows.of(data.render(tokenizer, options, picked), picked, tokenizer);
            }
        }
        HfTokenizer tokenizer = session.model().tokenizer();
        return RenderedRows.of(data.render(tokenizer, options, picked), picked, tokenizer);
    }

    /** "3", "0-2", "0,4-5": row indices in order; a range past the end stops at the last record. */
    static List<Integer> rows(String spec, int size) {
        List<Integer> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            try {
                int dash = p.indexOf('-', 1);
                if (dash < 0) {
                    out.add(Integer.parseInt(p));
                } else {
                    int from = Integer.parseInt(p.substring(0, dash).strip());
                    int to = Integer.parseInt(p.substring(dash + 1).strip());
                    if (to < from) throw new CommandRunner.UsageException("--rows " + spec + ": range " + p + " runs backwards");
                    for (int r = from; r <= Math.min(to, Math.max(from, size - 1)); r++) out.add(r);
                }
            } catch (NumberFormatException e) {
                throw new CommandRunner.UsageException("--rows " + spec + ": expected rows like 3, 0-2 or 0,4,7");
            }
        }
        return out;
    }
}
