package io.jlora.data;

import io.jlora.JloraException;
import java.nio.file.Path;

/**
 * A dataset file that cannot be used as asked: unreadable, not valid JSON on some line, a record
 * without the column the format needs, a value of the wrong kind. The message names the file, the
 * line (1-based; 0 when the whole file is concerned) and, where one is involved, the column.
 */
public class DataException extends JloraException {

    private final Path file;
    private final long line;
    private final String column;

    public DataException(Path file, long line, String column, String problem) {
        this(file, line, column, problem, null);
    }

    public DataException(Path file, long line, String column, String problem, Throwable cause) {
        super(describe(file, line, column, problem), cause);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    public Path file() {
        return file;
    }

    /** 1-based line of the offending record, or 0 when the problem is the file as a whole. */
    public long line() {
        return line;
    }

    /** The dataset column involved, or null. */
    public String column() {
        return column;
    }

    private static String describe(Path file, long line, String column, String problem) {
        StringBuilder sb = new StringBuilder().append(file);
        if (line > 0) {
            sb.append(", line ").append(line);
        }
        if (column != null) {
            sb.append(", column '").append(column).append('\'');
        }
        return sb.append(": ").append(problem).toString();
    }
}
