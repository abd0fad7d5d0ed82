package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.magics.CommandResult;
import io.jlora.magics.Html;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code data --file F [--text-column text | --prompt-column P --completion-column C | --messages-column M]}. */
@Command(name = "data", description = "Loads a dataset (.jsonl, .json, .csv) into a table for training.",
        footer = {"%nExample:%n  data --file chats.jsonl --messages-column messages --eval-split 0.1"})
public final class DataCommand extends LoraCommand {
    @Override
    public boolean sessionOnly() {
        return true;
    }

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "a .jsonl, .json or .csv file")
    Path file;

    @Mixin
    DataColumns columns;

    @Option(names = "--max-seq-length", defaultValue = "512", description = "longer examples are cut to this many tokens (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int maxSeqLength;

    @Option(names = "--max-prompt-length", defaultValue = "128", description = "DPO prompts are cut to this (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int maxPromptLength;

    @Option(names = "--eval-split", defaultValue = "0.0", description = "fraction held out for evaluation (default: ${DEFAULT-VALUE})", paramLabel = "FRACTION")
    double evalSplit;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the eval split (default: ${DEFAULT-VALUE})", paramLabel = "N")
    long seed;

    @picocli.CommandLine.Mixin
    LossOptions loss = new LossOptions();

    @Mixin
    ChatTemplateOptions chat;

    @Override
    public CommandResult execute() {
        Dataset data = Dataset.load(file, columns.format());
        TokenizeOptions options;
        try {
            options = TokenizeOptions.defaults().withMaxSeqLength(maxSeqLength).withMaxPromptLength(maxPromptLength)
                    .withEvalSplit(evalSplit).withSeed(seed).withChat(chat.renderOptions());
            options = loss.apply(options);
        } catch (IllegalArgumentException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
        session.setData(data, options);
        return new DataSummary(data, options);
    }

    record DataSummary(Dataset data, TokenizeOptions options) implements CommandResult {
        @Override
        public String text() {
            return String.format("%s: %d records, format %s, columns %s", data.file(), data.size(), data.format(), data.columns());
        }

        @Override
        public String html() {
            Table table = data.table();
            Table head = table.first(Math.min(10, table.rowCount()));
            StringBuilder html = new StringBuilder("<b>").append(Html.escape(text())).append("</b><table><tr>");
            for (String column : head.columnNames()) html.append("<th>").append(Html.escape(column)).append("</th>");
            html.append("</tr>");
            for (int r = 0; r < head.rowCount(); r++) {
                html.append("<tr>");
                for (int c = 0; c < head.columnCount(); c++) {
                    String cell = head.getString(r, c);
                    html.append("<td style=\"text-align:left\">").append(Html.escape(cell.length() > 120 ? cell.substring(0, 117) + "..." : cell)).append("</td>");
                }
                html.append("</tr>");
            }
            return html.append("</table>").toString();
        }

        @Override
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("file", data.file().toString());
            j.put("records", data.size());
            j.put("format", data.format().toString());
            j.put("columns", data.columns());
            return j;
        }

        @Override
        public String toString() {
            return text();
        }
    }
}
