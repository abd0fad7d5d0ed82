package io.jlora.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.model.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The records of one dataset file (JSON Lines, JSON array or CSV) in a {@link DataFormat}, checked
 * when loaded: every record has the columns its format reads, of the right kind, or loading fails
 * naming the file, the line and the column. {@link #table()} shows it as a Tablesaw table; {@link
 * #tokenize} / {@link #tokenizePreferences} turn it into training examples with an optional seeded
 * eval split.
 *
 * <pre>{@code
 * Dataset data = Dataset.load(Path.of("train.jsonl"), DataFormat.promptCompletion("prompt", "completion"));
 * TokenizedData<Example> examples = data.tokenize(lm.tokenizer(), TokenizeOptions.defaults().withEvalSplit(0.1));
 * }</pre>
 */
public final class Dataset {

    private final Path file;
    private final DataFormat format;
    private final List<String> columns;
    private final List<DataRecord> records;

    private Dataset(Path file, DataFormat format, List<String> columns, List<DataRecord> records) {
        this.file = file;
        this.format = format;
        this.columns = List.copyOf(columns);
        this.records = Collections.unmodifiableList(records);
    }

    /** Loads {@code file}, choosing the format from its columns ({@link DataFormat#auto()}). */
    public static Dataset load(Path file) {
        return load(file, DataFormat.auto());
    }

    /** Loads and checks {@code file}: .jsonl (one object a line), .json (an array of objects) or .csv (with a header). */
    public static Dataset load(Path file, DataFormat format) {
        DataFiles.Contents contents = DataFiles.read(file);
        DataFormat resolved = format;
        if (format.kind() == DataFormat.Kind.AUTO) {
            DataRecord first = contents.records().get(0);
            Set<String> present = new LinkedHashSet<>();
            first.values().fieldNames().forEachRemaining(present::add);
            resolved = DataFormat.detect(present);
            if (resolved == null) {
                throw new DataException(file, first.line(), null, "cannot tell the format from the columns " + present
                        + "; expected 'text', 'prompt'+'completion', 'messages' or 'prompt'+'chosen'+'rejected',"
                        + " or name the columns (--text-column, --prompt-column/--completion-column, --messages-column)");
            }
        }
        for (DataRecord r : contents.records()) {
            check(file, resolved, r);
        }
        return new Dataset(file, resolved, contents.columns(), new ArrayList<>(contents.records()));
    }

    /** Records given in memory (e.g. generated), each an object of column values; line = index + 1. */
    public static Dataset of(String name, DataFormat format, List<ObjectNode> rows) {
        Path file = Path.of(name);
        List<DataRecord> records = new ArrayList<>();
        Set<String> columns = new LinkedHashSet<>();
        for (int k = 0; k < rows.size(); k++) {
            records.add(new DataRecord(k + 1, rows.get(k)));
            rows.get(k).fieldNames().forEachRemaining(columns::add);
        }
        if (records.isEmpty()) {
            throw new DataException(file, 0, null, "no records");
        }
        DataFormat resolved = format.kind() == DataFormat.Kind.AUTO ? DataFormat.detect(columns) : format;
        if (resolved == null) {
            throw new DataException(file, 1, null, "cannot tell the format from the columns " + columns);
        }
        for (DataRecord r : records) {
            check(file, resolved, r);
        }
        return new Dataset(file, resolved, new ArrayList<>(columns), records);
    }

    public Path file() {
        return file;
    }

    /** The format, resolved (never AUTO). */
    public DataFormat format() {
        return format;
    }

    /** Column names in the order first seen in the file. */
    public List<String> columns() {
        return columns;
    }

    public int size() {
        return records.size();
    }

    public List<DataRecord> records() {
        return records;
    }

    /** The records as a table: one text column per file column (JSON for lists and objects). */
    public Table table() {
        Table t = Table.create(file.getFileName() == null ? file.toString() : file.getFileName().toString());
        for (String c : columns) {
            StringColumn col = StringColumn.create(c);
            for (DataRecord r : records) {
                JsonNode v = r.values().get(c);
                col.append(v == null || v.isNull() ? "" : v.isTextual() ? v.asText() : v.toString());
            }
            t.addColumns(col);
        }
        return t;
    }

    /** Train and eval parts of a dataset. */
    public record Split(Dataset train, Dataset eval) {}

    /**
     * Holds out {@code ceil(fraction * size)} records, chosen by a permutation seeded with {@code
     * seed}; both parts keep file order. A fraction of 0 gives an empty eval part (null).
     */
    public Split split(double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("eval split must be in [0, 1), got " + fraction);
        }
        if (fraction == 0) {
            return new Split(this, null);
        }
        int n = records.size();
        int evalCount = (int) Math.ceil(fraction * n);
        if (evalCount >= n) {
            throw new DataException(file, 0, null, "an eval split of " + fraction + " leaves no training records out of " + n);
        }
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            order.add(k);
        }
        Collections.shuffle(order, new Random(seed));
        Set<Integer> held = new java.util.TreeSet<>(order.subList(0, evalCount));
        List<DataRecord> train = new ArrayList<>();
        List<DataRecord> eval = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            (held.contains(k) ? eval : train).add(records.get(k));
        }
        return new Split(new Dataset(file, format, columns, train), new Dataset(file, format, columns, eval));
    }

    /** Language-modelling examples (text, prompt/completion or messages), split per {@code options}. */
    public TokenizedData<Example> tokenize(HfTokenizer tokenizer, TokenizeOptions options) {
        if (format.isPreference()) {
            throw new DataException(file, 0, null, "this is a preference (DPO) dataset; use tokenizePreferences");
        }
        Tokenization t = new Tokenization(this, tokenizer, options);
        Split split = split(options.evalSplit(), options.seed());
        List<Example> train = t.examples(split.train().records());
        List<Example> eval = split.eval() == null ? List.of() : t.examples(split.eval().records());
        if (options.packing()) {
            train = Packing.bestFitDecreasing(train, options.maxSeqLength());
            eval = Packing.bestFitDecreasing(eval, options.maxSeqLength());
        }
        return new TokenizedData<>(this, train, eval, t.stats(), t.usedFallbackTemplate(), t.warnings());
    }

    /**
     * Records {@code rows} (indices into {@link #records()}) as training sees them: rendered text,
     * ids and labels under {@code options}, none dropped. Language-modelling data only.
     */
    public List<RenderedRow> render(HfTokenizer tokenizer, TokenizeOptions options, List<Integer> rows) {
        if (format.isPreference()) {
            throw new DataException(file, 0, null, "render shows language-modelling data; this is a preference (DPO) dataset");
        }
        Tokenization t = new Tokenization(this, tokenizer, options);
        List<RenderedRow> out = new ArrayList<>();
        for (int row : rows) {
            if (row < 0 || row >= records.size()) {
                throw new DataException(file, 0, null, "no row " + row + " (the file has " + records.size() + " records, rows 0-"
                        + (records.size() - 1) + ")");
            }
            out.add(t.render(records.get(row)));
        }
        return out;
    }

    /** DPO pairs (prompt, chosen, rejected), split per {@code options}. */
    public TokenizedData<PreferenceExample> tokenizePreferences(HfTokenizer tokenizer, TokenizeOptions options) {
        if (!format.isPreference()) {
            throw new DataException(file, 0, null, "DPO needs prompt/chosen/rejected columns; this dataset is " + format);
        }
        Tokenization t = new Tokenization(this, tokenizer, options);
        Split split = split(options.evalSplit(), options.seed());
        List<PreferenceExample> train = t.preferences(split.train().records());
        List<PreferenceExample> eval = split.eval() == null ? List.of() : t.preferences(split.eval().records());
        return new TokenizedData<>(this, train, eval, t.stats(), t.usedFallbackTemplate(), t.warnings());
    }

    // ---------------------------------------------------------------- checks

    private static void check(Path file, DataFormat format, DataRecord r) {
        List<String> cols = format.columns();
        switch (format.kind()) {
            case TEXT -> requireText(file, r, cols.get(0));
            case MESSAGES -> requireMessages(file, r, cols.get(0));
            case PROMPT_COMPLETION, PREFERENCE -> {
                boolean conversational = value(file, r, cols.get(0)).isArray();
                for (String c : cols) {
                    if (conversational) {
                        requireMessages(file, r, c);
                    } else {
                        requireText(file, r, c);
                    }
                }
            }
            default -> throw new IllegalStateException(format.toString());
        }
    }

    private static JsonNode value(Path file, DataRecord r, String column) {
        JsonNode v = r.values().get(column);
        if (v == null) {
            List<String> present = new ArrayList<>();
            r.values().fieldNames().forEachRemaining(present::add);
            throw new DataException(file, r.line(), column, "missing (the record has " + present + ")");
        }
        if (v.isNull()) {
            throw new DataException(file, r.line(), column, "is null");
        }
        return v;
    }

    private static void requireText(Path file, DataRecord r, String column) {
        JsonNode v = value(file, r, column);
        if (!v.isTextual()) {
            throw new DataException(file, r.line(), column, "expected a string, found " + kind(v));
        }
    }

    private static void requireMessages(Path file, DataRecord r, String column) {
        JsonNode v = value(file, r, column);
        if (v.isTextual() && v.asText().trim().startsWith("[")) {
            // CSV cells hold message lists as JSON text
            try {
                v = DataFiles.JSON.readTree(v.asText());
                r.values().set(column, v);
            } catch (Exception e) {
                throw new DataException(file, r.line(), column, "not a valid JSON list of messages: " + e.getMessage(), e);
            }
        }
        if (!v.isArray()) {
            throw new DataException(file, r.line(), column, "expected a list of {\"role\", \"content\"} messages, found "
                    + kind(v));
        }
        int k = 0;
        for (JsonNode m : v) {
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw new DataException(file, r.line(), column, "message " + k + " has no string 'role'");
            }
            JsonNode content = m.get("content");
            if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
                throw new DataException(file, r.line(), column, "message " + k + ": 'content' must be a string");
            }
            k++;
        }
    }

    private static String kind(JsonNode v) {
        return v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }
}
