package io.jlora.kernel.magic;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a cell into what runs in order: Java code and {@code %magic} lines, or one {@code %%magic}
 * with its body. A magic line is a line whose first non-blank characters are {@code %name}.
 */
public final class CellParts {
    /** One part of a cell; {@code firstLine} is its 1-based line in the cell. */
    public sealed interface Part {
        int firstLine();
    }

    public record Java(String code, int firstLine) implements Part {
    }

    public record LineCall(String name, String args, int firstLine) implements Part {
    }

    public record CellCall(String name, String args, String body, int firstLine) implements Part {
    }

    private static final Pattern LINE = Pattern.compile("^\\s*%([A-Za-z][\\w.-]*)(?:[ \\t]+(.*))?\\s*$");
    private static final Pattern CELL = Pattern.compile("^\\s*%%([A-Za-z][\\w.-]*)(?:[ \\t]+(.*))?$");

    private CellParts() {
    }

    public static List<Part> split(String cell) {
        String[] lines = cell.split("\n", -1);
        int first = 0;
        while (first < lines.length && lines[first].isBlank()) first++;
        if (first < lines.length) {
            Matcher m = CELL.matcher(lines[first]);
            if (m.matches()) {
                String body = String.join("\n", java.util.Arrays.copyOfRange(lines, first + 1, lines.length));
                return List.of(new CellCall(m.group(1), nullToEmpty(m.group(2)).strip(), body, first + 1));
            }
        }
        List<Part> parts = new ArrayList<>();
        StringBuilder java = new StringBuilder();
        int javaStart = 1;
        for (int i = 0; i < lines.length; i++) {
            Matcher m = LINE.matcher(lines[i]);
            if (m.matches()) {
                if (!java.toString().isBlank()) parts.add(new Java(java.toString(), javaStart));
                java.setLength(0);
                parts.add(new LineCall(m.group(1), nullToEmpty(m.group(2)).strip(), i + 1));
                javaStart = i + 2;
            } else {
                java.append(lines[i]).append('\n');
            }
        }
        if (!java.toString().isBlank()) parts.add(new Java(java.toString(), javaStart));
        return parts;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
