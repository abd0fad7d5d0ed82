package io.jlora.io;

import io.jlora.JloraException;
import java.nio.file.Path;

/**
 * A model file (safetensors, config.json, tokenizer files, a sharded index) is missing or does not
 * say what it claims. The message always names the file and, where one is involved, the key, so
 * that a user can find the culprit without a debugger.
 */
public class ModelFormatException extends JloraException {

    private final Path file;
    private final String key;

    public ModelFormatException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    public ModelFormatException(Path file, String key, String problem, Throwable cause) {
        super(describe(file, key, problem), cause);
        this.file = file;
        this.key = key;
    }

    /** The file that is wrong. */
    public Path file() {
        return file;
    }

    /** The tensor or JSON key that is wrong, or null when the whole file is. */
    public String key() {
        return key;
    }

    private static String describe(Path file, String key, String problem) {
        StringBuilder sb = new StringBuilder().append(file);
        if (key != null) {
            sb.append(" [").append(key).append(']');
        }
        return sb.append(": ").append(problem).toString();
    }
}
