package io.jlora.magics;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a magic's argument line into words as a POSIX shell would for the simple cases: spaces
 * separate, single quotes keep everything, double quotes keep spaces and allow \" and \\, and a
 * backslash outside quotes escapes the next character. So {@code --prompt "Hello world"} is two words.
 * A {@code //} that starts a word outside quotes begins a comment, as in the Java around a magic:
 * {@code train --steps 60 // the loss plot updates in place} is three words.
 */
public final class ShellWords {
    private ShellWords() {
    }

    public static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote == '\'') {
                if (c == '\'') quote = 0;
                else word.append(c);
            } else if (quote == '"') {
                if (c == '"') quote = 0;
                else if (c == '\\' && i + 1 < line.length() && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) word.append(line.charAt(++i));
                else word.append(c);
            } else if (!inWord && c == '/' && i + 1 < line.length() && line.charAt(i + 1) == '/') {
                break; // a trailing comment
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < line.length()) {
                word.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) words.add(word.toString());
                word.setLength(0);
                inWord = false;
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) throw new IllegalArgumentException("unclosed " + quote + " quote in: " + line);
        if (inWord) words.add(word.toString());
        return words;
    }
}
