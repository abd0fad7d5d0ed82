package io.jlora.data;

import java.util.List;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A dataset's training and eval examples ({@link Example} or {@link PreferenceExample}) with what
 * tokenizing did: how many were cut to max-seq-length, dropped (nothing left to train on), and
 * how many tokens there are.
 */
public final class TokenizedData<E> {

    /** Counts over all records (train and eval). */
    public record Stats(int records, int truncated, int dropped, long tokens, long trainedTokens) {}

    private final Dataset source;
    private final List<E> train;
    private final List<E> eval;
    private final Stats stats;
    private final boolean fallbackTemplate;
    private final List<String> warnings;

    TokenizedData(Dataset source, List<E> train, List<E> eval, Stats stats, boolean fallbackTemplate,
            List<String> warnings) {
        this.source = source;
        this.train = List.copyOf(train);
        this.eval = List.copyOf(eval);
        this.stats = stats;
        this.fallbackTemplate = fallbackTemplate;
        this.warnings = List.copyOf(warnings);
        if (this.train.isEmpty()) {
            throw new DataException(source.file(), 0, null, "no training examples left after tokenizing (" + stats.dropped()
                    + " had nothing to train on, e.g. a prompt longer than max-seq-length)");
        }
    }

    public Dataset source() {
        return source;
    }

    public List<E> train() {
        return train;
    }

    /** Held-out examples; empty without an eval split. */
    public List<E> eval() {
        return eval;
    }

    public Stats stats() {
        return stats;
    }

    /** True when messages were rendered with ChatML because the tokenizer has no chat template. */
    public boolean usedFallbackTemplate() {
        return fallbackTemplate;
    }

    /** What tokenizing warned about (a template whose assistant turns cannot be found, say); empty if nothing. */
    public List<String> warnings() {
        return warnings;
    }

    /** One row per example: split, source line, tokens, trained tokens, truncated. */
    public Table table() {
        StringColumn split = StringColumn.create("split");
        LongColumn line = LongColumn.create("line");
        IntColumn tokens = IntColumn.create("tokens");
        IntColumn trained = IntColumn.create("trained_tokens");
        for (int part = 0; part < 2; part++) {
            for (E e : part == 0 ? train : eval) {
                split.append(part == 0 ? "train" : "eval");
                if (e instanceof Example x) {
                    line.append(x.line());
                    tokens.append(x.length());
                    trained.append(x.trainedTokens());
                } else if (e instanceof PreferenceExample p) {
                    line.append(p.line());
                    tokens.append(p.prompt().length + p.chosen().length + p.rejected().length);
                    trained.append(p.chosen().length + p.rejected().length);
                }
            }
        }
        return Table.create(source.file().getFileName() + " (tokenized)", split, line, tokens, trained);
    }

    /** One line for a notebook or a log. */
    public String summary() {
        return String.format("%s: %d train / %d eval examples (%s), %d tokens, %d trained, %d truncated, %d dropped%s",
                source.file().getFileName(), train.size(), eval.size(), source.format(), stats.tokens(),
                stats.trainedTokens(), stats.truncated(), stats.dropped(),
                fallbackTemplate ? ", ChatML (the tokenizer has no chat template)" : "")
                + (warnings.isEmpty() ? "" : "\nwarning: " + String.join("\nwarning: ", warnings));
    }

    @Override
    public String toString() {
        return summary();
    }

}
