package io.jlora.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Reading a dataset and tokenizing it as training does ({@link Dataset#load}, then
 * {@link Dataset#tokenize} or {@link Dataset#tokenizePreferences}) on generated JSON Lines, JSON
 * and CSV files: bad rows, values of the wrong type, broken message lists, BOMs, CRLF, blank
 * and huge lines, invalid UTF-8, deep nesting, unclosed arrays, then blind byte damage. The
 * tokenizer is the tiny Llama's, with no chat template (ChatML) or with a real model's template.
 */
class DatasetFuzzTest {

    static final FuzzStats STATS = new FuzzStats("dataset");
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String[] COLUMNS = {"text", "prompt", "completion", "messages", "chosen", "rejected", "other"};
    private static final String[] EXTENSIONS = {".jsonl", ".json", ".csv", ".tsv", ".ndjson"};
    private static final List<HfTokenizer> TOKENIZERS = new ArrayList<>();

    @BeforeContainer
    static void loadTokenizers() throws Exception {
        TOKENIZERS.add(HfTokenizer.load(Seeds.model()));
        for (String t : List.of("llama3.jinja", "qwen2.5.jinja", "qwen3.jinja")) {
            Path dir = Files.createTempDirectory("jlora-fuzz-tok");
            Files.copy(Seeds.model().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
            Files.copy(Seeds.model().resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
            Files.copy(TestFiles.resource("chat-templates/" + t), dir.resolve("chat_template.jinja"));
            TOKENIZERS.add(HfTokenizer.load(dir));
        }
    }

    @AfterContainer
    static void report() {
        TOKENIZERS.forEach(HfTokenizer::close);
        STATS.publish();
    }

    @Property
    void generatedDatasetLoadsOrIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        Path dir = Scratch.newFolder();
        String extension = EXTENSIONS[r.nextInt(EXTENSIONS.length)];
        Path file = dir.resolve("data" + extension);
        // a third of the files are clean records of one format, so that tokenization and the
        // chat templates see plenty of input; the rest mix hostile rows in
        int cleanKind = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 0;
        byte[] content = content(r, extension, cleanKind);
        if (cleanKind == 0 && r.nextInt(6) == 0) {
            content = ByteMutator.mutate(content, r);
        }
        Scratch.write(file, content);
        DataFormat format = cleanKind > 0 ? DataFormat.auto() : format(r);
        HfTokenizer tokenizer = TOKENIZERS.get(r.nextInt(TOKENIZERS.size()));
        TokenizeOptions options = TokenizeOptions.defaults().withMaxSeqLength(2 + r.nextInt(64))
                .withMaxPromptLength(1 + r.nextInt(32)).withCompletionOnlyLoss(r.nextBoolean())
                .withAddEos(r.nextBoolean()).withEvalSplit(r.nextInt(3) == 0 ? 0.5 : 0);
        Verdict v = Guard.run(dir, () -> {
            Dataset data = Dataset.load(file, format);
            data.table();
            return data.format().isPreference() ? data.tokenizePreferences(tokenizer, options)
                    : data.tokenize(tokenizer, options);
        });
        STATS.record(v, "seed " + seed + " (" + file.getFileName() + ", " + format + ")");
        Scratch.delete(dir);
    }

    private static DataFormat format(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> DataFormat.text(COLUMNS[r.nextInt(COLUMNS.length)]);
            case 1 -> DataFormat.promptCompletion("prompt", "completion");
            case 2 -> DataFormat.messages("messages");
            case 3 -> DataFormat.preference("prompt", "chosen", "rejected");
            default -> DataFormat.auto();
        };
    }

    private static byte[] content(Random r, String extension, int cleanKind) {
        List<ObjectNode> rows = new ArrayList<>();
        int n = r.nextInt(8);
        for (int i = 0; i < n; i++) {
            rows.add(cleanKind > 0 ? cleanRow(r, cleanKind) : row(r));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (r.nextInt(8) == 0) {
            out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        }
        String eol = r.nextInt(4) == 0 ? "\r\n" : "\n";
        boolean csv = extension.endsWith("sv");
        if (csv) {
            char sep = extension.equals(".tsv") ? '\t' : ',';
            List<String> header = new ArrayList<>();
            rows.forEach(row -> row.fieldNames().forEachRemaining(c -> {
                if (!header.contains(c)) {
                    header.add(c);
                }
            }));
            if (r.nextInt(10) == 0 && !header.isEmpty()) {
                header.add(header.get(0)); // a repeated column name
            }
            out.writeBytes((String.join(String.valueOf(sep), header) + eol).getBytes(StandardCharsets.UTF_8));
            for (ObjectNode row : rows) {
                List<String> cells = new ArrayList<>();
                for (String c : header) {
                    JsonNode v = row.get(c);
                    String cell = v == null ? "" : v.isTextual() ? v.asText() : v.toString();
                    cells.add(r.nextBoolean() ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell);
                }
                out.writeBytes((String.join(String.valueOf(sep), cells) + eol).getBytes(StandardCharsets.UTF_8));
            }
        } else if (extension.equals(".json") && r.nextBoolean()) {
            ArrayNode array = F.arrayNode();
            rows.forEach(array::add);
            if (r.nextInt(5) == 0) {
                array.add(JsonMutator.hostile(r, null)); // a record that is not an object
            }
            byte[] text = JsonMutator.serialize(array, r);
            out.writeBytes(r.nextInt(8) == 0 ? java.util.Arrays.copyOf(text, text.length - 1) : text);
        } else {
            for (ObjectNode row : rows) {
                out.writeBytes(JsonMutator.serialize(row, r));
                out.writeBytes(eol.getBytes(StandardCharsets.UTF_8));
                if (r.nextInt(6) == 0) {
                    out.writeBytes(new String[] {"", "   ", "[1,2]", "{\"text\":", "null", "{}{}"}[r.nextInt(6)]
                            .concat(eol).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        if (r.nextInt(10) == 0) {
            out.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, '\n'}); // invalid UTF-8
        }
        return out.toByteArray();
    }

    private static ObjectNode row(Random r) {
        ObjectNode row = F.objectNode();
        int columns = r.nextBoolean() ? 0 : r.nextInt(5); // half the rows are clean, to reach tokenization
        for (int c = 0; c < columns; c++) {
            row.set(COLUMNS[r.nextInt(COLUMNS.length)], value(r));
        }
        if (columns == 0 || r.nextInt(3) == 0) {
            // a well-formed record of one format, so that tokenization is reached
            switch (r.nextInt(3)) {
                case 0 -> row.put("text", "Hello there " + r.nextInt());
                case 1 -> row.put("prompt", "Q?").put("completion", "A.").put("chosen", "yes").put("rejected", "no");
                default -> row.set("messages", messages(r, true));
            }
        }
        return row;
    }

    /** A record of one format: 1 text, 2 prompt/completion, 3 messages, 4 preference; plain or conversational. */
    private static ObjectNode cleanRow(Random r, int kind) {
        ObjectNode row = F.objectNode();
        String text = new String[] {"Hi", "", "x".repeat(300), "\u00e9\u4e16 <|endoftext|> {{ }}", " \n "}[r.nextInt(5)];
        boolean chat = r.nextBoolean();
        switch (kind) {
            case 1 -> row.put("text", text);
            case 2 -> {
                row.set("prompt", chat ? messages(r, true) : F.textNode(text));
                row.set("completion", chat ? messages(r, true) : F.textNode("done"));
            }
            case 3 -> row.set("messages", messages(r, true));
            default -> {
                row.set("prompt", chat ? messages(r, true) : F.textNode(text));
                row.set("chosen", chat ? messages(r, true) : F.textNode("yes"));
                row.set("rejected", chat ? messages(r, true) : F.textNode("no"));
            }
        }
        return row;
    }

    private static JsonNode value(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> F.textNode(r.nextInt(20) == 0 ? "x".repeat(1 << 20) : "value " + r.nextInt(100));
            case 1 -> messages(r, r.nextBoolean());
            case 2 -> F.textNode(messages(r, r.nextBoolean()).toString()); // a list as JSON text, as CSV has it
            default -> JsonMutator.hostile(r, null);
        };
    }

    private static ArrayNode messages(Random r, boolean wellFormed) {
        ArrayNode list = F.arrayNode();
        String[] roles = {"system", "user", "assistant", "tool", "", "USER"};
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
            ObjectNode m = list.addObject();
            if (wellFormed) {
                m.put("role", i == n - 1 ? "assistant" : roles[r.nextInt(3)]).put("content", "turn " + i);
            } else {
                m.set("role", r.nextBoolean() ? F.textNode(roles[r.nextInt(roles.length)]) : JsonMutator.hostile(r, null));
                m.set("content", r.nextBoolean() ? F.textNode("c{{ x }}{% if %}") : JsonMutator.hostile(r, null));
            }
        }
        return list;
    }
}
