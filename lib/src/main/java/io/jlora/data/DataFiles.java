package io.jlora.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

/**
 * Reads the records of a dataset file: JSON Lines (one object a line, read line by line with
 * Jackson), a JSON array of objects, or CSV with a header (through Tablesaw, every column as text).
 * Every failure names the file and the line.
 */
final class DataFiles {

    static final ObjectMapper JSON = new ObjectMapper();

    private DataFiles() {}

    /** The records and the columns in the order first seen. */
    record Contents(List<String> columns, List<DataRecord> records) {}

    static Contents read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new DataException(file, 0, null, Files.exists(file) ? "not a regular file" : "file not found");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        Contents c;
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            c = jsonLines(file);
        } else if (name.endsWith(".json")) {
            c = jsonArrayOrLines(file);
        } else if (name.endsWith(".csv") || name.endsWith(".tsv")) {
            c = csv(file, name.endsWith(".tsv") ? '\t' : ',');
        } else {
            throw new DataException(file, 0, null, "unknown file type; expected .jsonl, .json or .csv");
        }
        if (c.records().isEmpty()) {
            throw new DataException(file, 0, null, "no records");
        }
        return c;
    }

    private static Contents jsonLines(Path file) {
        List<DataRecord> records = new ArrayList<>();
        Set<String> columns = new LinkedHashSet<>();
        long line = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            while ((text = in.readLine()) != null) {
                line++;
                if (line == 1 && !text.isEmpty() && text.charAt(0) == '\uFEFF') {
                    text = text.substring(1);
                }
                if (text.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(text);
                } catch (JsonProcessingException e) {
                    JsonLocation at = e.getLocation();
                    String where = at != null && at.getColumnNr() > 0 ? " (character " + at.getColumnNr() + ")" : "";
                    throw new DataException(file, line, null, "not valid JSON" + where + ": " + e.getOriginalMessage(), e);
                }
                records.add(record(file, line, node, columns));
            }
        } catch (CharacterCodingException e) {
            // the decoder reads ahead, so the bad bytes are on the next line or shortly after
            throw notUtf8(file, line + 1, e);
        } catch (IOException e) {
            throw new DataException(file, 0, null, "cannot read: " + e.getMessage(), e);
        }
        return new Contents(List.copyOf(columns), records);
    }

    /** Java's own message for this is "Input length = 1", which says nothing to a user. */
    private static DataException notUtf8(Path file, long line, CharacterCodingException e) {
        return new DataException(file, line, null, "not UTF-8 text (from about this line on): save the file as UTF-8", e);
    }

    /** A .json file holds an array of objects; some tools write JSON Lines under that name too. */
    private static Contents jsonArrayOrLines(Path file) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int c;
            do {
                c = in.read();
            } while (c == '\uFEFF' || (c >= 0 && Character.isWhitespace(c)));
            if (c != '[') {
                return jsonLines(file);
            }
        } catch (CharacterCodingException e) {
            throw notUtf8(file, 1, e);
        } catch (IOException e) {
            throw new DataException(file, 0, null, "cannot read: " + e.getMessage(), e);
        }
        List<DataRecord> records = new ArrayList<>();
        Set<String> columns = new LinkedHashSet<>();
        long line = 1;
        try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
            p.nextToken(); // [
            while (true) {
                JsonToken t = p.nextToken();
                line = p.currentTokenLocation().getLineNr();
                if (t == JsonToken.END_ARRAY) {
                    break;
                }
                if (t == null) {
                    throw new DataException(file, line, null, "not valid JSON: the array is not closed");
                }
                JsonNode node = JSON.readTree(p);
                records.add(record(file, line, node, columns));
            }
            if (p.nextToken() != null) {
                throw new DataException(file, p.currentTokenLocation().getLineNr(), null,
                        "not valid JSON: text after the closing ']'");
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            long l = at != null && at.getLineNr() > 0 ? at.getLineNr() : line;
            String where = at != null && at.getColumnNr() > 0 ? " (character " + at.getColumnNr() + ")" : "";
            throw new DataException(file, l, null, "not valid JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new DataException(file, 0, null, "cannot read: " + e.getMessage(), e);
        }
        return new Contents(List.copyOf(columns), records);
    }

    private static DataRecord record(Path file, long line, JsonNode node, Set<String> columns) {
        if (!(node instanceof ObjectNode object)) {
            throw new DataException(file, line, null, "expected a JSON object {\"column\": value, ...}, found "
                    + node.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        object.fieldNames().forEachRemaining(columns::add);
        return new DataRecord(line, object);
    }

    private static Contents csv(Path file, char separator) {
        Table table;
        try {
            table = Table.read().usingOptions(CsvReadOptions.builder(file.toFile())
                    .separator(separator)
                    .header(true)
                    .columnTypes(column -> ColumnType.STRING)
                    .maxCharsPerColumn(-1)
                    .missingValueIndicator(new String[0])
                    .build());
        } catch (RuntimeException e) {
            throw new DataException(file, 0, null, "cannot read as CSV: " + e.getMessage(), e);
        }
        long[] lines = recordLines(file, separator);
        List<String> columns = table.columnNames();
        List<DataRecord> records = new ArrayList<>(table.rowCount());
        for (int r = 0; r < table.rowCount(); r++) {
            ObjectNode values = JSON.createObjectNode();
            for (String c : columns) {
                values.put(c, table.stringColumn(c).get(r));
            }
            // record r starts on the line after the header's; when the scan disagrees with the
            // parser (unusual quoting), fall back to counting one line per record
            long line = lines.length == table.rowCount() + 1 ? lines[r + 1] : r + 2;
            records.add(new DataRecord(line, values));
        }
        return new Contents(columns, records);
    }

    /** The 1-based line where each CSV record (header included) starts; blank lines are skipped as the parser does. */
    static long[] recordLines(Path file, char separator) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw notUtf8(file, 0, e);
        } catch (IOException e) {
            throw new DataException(file, 0, null, "cannot read: " + e.getMessage(), e);
        }
        List<Long> starts = new ArrayList<>();
        long line = 1;
        boolean quoted = false;
        boolean atStart = true;
        boolean blank = true;
        long start = 1;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (atStart) {
                start = line;
                atStart = false;
                blank = true;
            }
            if (ch == '"') {
                quoted = !quoted;
            }
            if (ch == '\n') {
                line++;
                if (!quoted) {
                    if (!blank) {
                        starts.add(start);
                    }
                    atStart = true;
                }
            } else if (ch != '\r' && ch != '\uFEFF') {
                blank = false;
            }
        }
        if (!atStart && !blank) {
            starts.add(start);
        }
        return starts.stream().mapToLong(Long::longValue).toArray();
    }
}
