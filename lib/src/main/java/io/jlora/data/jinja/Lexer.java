package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Template source to tokens, applying Jinja's whitespace rules as transformers configures them:
 * {@code trim_blocks} (the newline after a block tag goes), {@code lstrip_blocks} (indentation
 * before a block tag goes) and explicit {@code -}/{@code +} control.
 */
final class Lexer {
    private final String src;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;

    Lexer(String src) {
        this.src = src;
    }

    List<Token> tokens() {
        boolean stripNextLeading = false; // after "-%}" / "-}}"
        boolean trimNextNewline = false; // trim_blocks after "%}" and "#}"
        while (pos < src.length()) {
            int next = nextOpen(pos);
            String text = src.substring(pos, next < 0 ? src.length() : next);
            if (stripNextLeading) {
                text = stripLeading(text);
            } else if (trimNextNewline && text.startsWith("\n")) {
                text = text.substring(1);
            } else if (trimNextNewline && text.startsWith("\r\n")) {
                text = text.substring(2);
            }
            stripNextLeading = false;
            trimNextNewline = false;
            if (next < 0) {
                addText(text);
                countLines(pos, src.length());
                pos = src.length();
                break;
            }
            char kind = src.charAt(next + 1);
            boolean minus = next + 2 < src.length() && src.charAt(next + 2) == '-';
            boolean plus = next + 2 < src.length() && src.charAt(next + 2) == '+';
            if (minus) {
                text = stripTrailing(text);
            } else if ((kind == '%' || kind == '#') && !plus) {
                text = lstripBlock(text, next); // lstrip_blocks
            }
            addText(text);
            countLines(pos, next);
            pos = next + 2 + (minus || plus ? 1 : 0);
            if (kind == '#') {
                int end = src.indexOf("#}", pos);
                if (end < 0) {
                    throw new TemplateException("template line " + line + ": comment not closed", false);
                }
                stripNextLeading = src.charAt(end - 1) == '-';
                trimNextNewline = true;
                countLines(pos, end);
                pos = end + 2;
                continue;
            }
            out.add(new Token(kind == '{' ? TokenType.OUT_OPEN : TokenType.TAG_OPEN, "", line));
            String close = kind == '{' ? "}}" : "%}";
            boolean closed = false;
            while (pos < src.length()) {
                char c = src.charAt(pos);
                if (c == '-' && src.startsWith(close, pos + 1)) {
                    stripNextLeading = true;
                    pos += 3;
                    closed = true;
                    break;
                }
                if (src.startsWith(close, pos)) {
                    pos += 2;
                    closed = true;
                    break;
                }
                lexExpressionToken();
            }
            if (!closed) {
                throw new TemplateException("template line " + line + ": '" + close + "' missing", false);
            }
            out.add(new Token(kind == '{' ? TokenType.OUT_CLOSE : TokenType.TAG_CLOSE, "", line));
            trimNextNewline = kind == '%';
        }
        out.add(new Token(TokenType.EOF, "", line));
        return out;
    }

    private int nextOpen(int from) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= src.length()) {
                return -1;
            }
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i++;
        }
    }

    private void addText(String text) {
        if (!text.isEmpty()) {
            out.add(new Token(TokenType.TEXT, text, line));
        }
    }

    private void countLines(int from, int to) {
        for (int i = from; i < to; i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
    }

    private static String stripLeading(String s) {
        return PyStrings.strip(s, null, true, false); // Jinja's "-" strips what Python's \s matches
    }

    private static String stripTrailing(String s) {
        return PyStrings.strip(s, null, false, true);
    }

    /**
     * lstrip_blocks: spaces and tabs between a line's start and a block tag go, judged on the
     * source (as Jinja's lexer does), so a newline already removed by trim_blocks still counts.
     */
    private String lstripBlock(String text, int tagStart) {
        int j = tagStart;
        while (j > pos && (src.charAt(j - 1) == ' ' || src.charAt(j - 1) == '\t')) {
            j--;
        }
        boolean lineStart = j == 0 || (j > pos && src.charAt(j - 1) == '\n');
        if (!lineStart) {
            return text;
        }
        int remove = tagStart - j;
        return text.length() >= remove ? text.substring(0, text.length() - remove) : "";
    }

    private void lexExpressionToken() {
        char c = src.charAt(pos);
        if (c == '\n') {
            line++;
            pos++;
            return;
        }
        if (Character.isWhitespace(c)) {
            pos++;
            return;
        }
        if (Character.isLetter(c) || c == '_') {
            int s = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
            out.add(new Token(TokenType.NAME, src.substring(s, pos), line));
            return;
        }
        if (Character.isDigit(c)) {
            int s = pos;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
            boolean fraction = pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1));
            if (fraction) {
                pos++;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            }
            boolean exponent = pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E') && exponentDigitsAt(pos + 1);
            if (exponent) {
                pos++;
                if (src.charAt(pos) == '+' || src.charAt(pos) == '-') {
                    pos++;
                }
                while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
            }
            out.add(new Token(fraction || exponent ? TokenType.FLOAT : TokenType.INT, src.substring(s, pos).replace("_", ""),
                    line));
            return;
        }
        if (c == '\'' || c == '"') {
            out.add(new Token(TokenType.STRING, string(c), line));
            return;
        }
        for (String op : new String[] {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="}) {
            if (src.startsWith(op, pos)) {
                out.add(new Token(TokenType.OP, op, line));
                pos += op.length();
                return;
            }
        }
        throw new TemplateException("template line " + line + ": unexpected character '" + c + "'", false);
    }

    private String string(char quote) {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (pos < src.length()) {
            char c = src.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c == '\n') {
                line++;
            }
            if (c == '\\' && pos < src.length()) {
                char e = src.charAt(pos++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case '\\' -> sb.append('\\');
                    case '\'' -> sb.append('\'');
                    case '"' -> sb.append('"');
                    case 'u' -> {
                        String hex = src.substring(pos, Math.min(src.length(), pos + 4));
                        if (!hex.matches("[0-9a-fA-F]{4}")) {
                            throw new TemplateException("template line " + line + ": '\\u" + hex
                                    + "' is not a \\uXXXX escape (four hex digits)", false);
                        }
                        sb.append((char) Integer.parseInt(hex, 16));
                        pos += 4;
                    }
                    default -> sb.append('\\').append(e);
                }
            } else {
                sb.append(c);
            }
        }
        throw new TemplateException("template line " + line + ": string not closed", false);
    }

    /** After the 'e' of 1e3 or 2.5e-4: an optional sign and a digit. */
    private boolean exponentDigitsAt(int at) {
        if (at < src.length() && (src.charAt(at) == '+' || src.charAt(at) == '-')) {
            at++;
        }
        return at < src.length() && Character.isDigit(src.charAt(at));
    }
}
