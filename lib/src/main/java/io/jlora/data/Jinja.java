package io.jlora.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The subset of Jinja2 that chat templates use, with the settings transformers renders them with
 * ({@code trim_blocks}, {@code lstrip_blocks}, loop controls): text, {@code {{ expr }}}, {@code if /
 * elif / else}, {@code for} (with {@code loop.*}, filters and {@code else}), {@code set} (also
 * {@code ns.attr} and block sets), {@code break}/{@code continue}, comments, whitespace control,
 * transformers' {@code generation} block; expressions with Python-like values (strings, numbers,
 * booleans, none, lists, dicts), attribute and item access, slices, calls of string and dict
 * methods, filters, tests, {@code namespace}, {@code range}, {@code raise_exception} and
 * {@code strftime_now}.
 *
 * <p>Anything outside the subset (macros, includes, unknown filters, tests or methods) fails with
 * a {@link TemplateException} naming the construct and the template line, never silently.
 */
final class Jinja {

    /** A template that cannot be parsed or rendered; also what {@code raise_exception} throws. */
    static final class TemplateException extends RuntimeException {
        final boolean raisedByTemplate;

        TemplateException(String message, boolean raisedByTemplate) {
            super(message);
            this.raisedByTemplate = raisedByTemplate;
        }
    }

    /** Jinja's undefined value: falsy, empty, printed as nothing; attribute access on it fails. */
    static final class Undefined {
        final String name;

        Undefined(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return "";
        }
    }

    private final List<Node> body;

    private Jinja(List<Node> body) {
        this.body = body;
    }

    /**
     * What one render may do, so that a hostile or broken template (a chat template is a file
     * from the model folder) fails with a TemplateException instead of hanging the JVM or
     * exhausting its memory: steps are nodes executed plus loop iterations.
     */
    static final long MAX_STEPS = 10_000_000;
    /** Characters of one rendered string, and elements of one range() or repetition. */
    static final long MAX_SIZE = 50_000_000;

    /** Steps taken by the render running on this thread (renders do not nest). */
    private static final ThreadLocal<long[]> STEPS = ThreadLocal.withInitial(() -> new long[1]);

    static Jinja parse(String source) {
        try {
            return new Parser(new Lexer(source).tokens()).template();
        } catch (StackOverflowError e) {
            // the parser descends once per nesting level: (((...))), not not not ..., {% if %} in {% if %}
            throw new TemplateException("the template nests too deeply to parse", false);
        }
    }

    String render(Map<String, Object> variables) {
        Scope scope = new Scope(null);
        scope.vars.putAll(variables);
        StringBuilder out = new StringBuilder();
        STEPS.get()[0] = 0;
        try {
            exec(body, scope, out);
        } catch (LoopControl c) {
            throw new TemplateException("'" + (c.isBreak ? "break" : "continue") + "' outside a loop", false);
        } catch (StackOverflowError e) {
            // evaluation descends once per operator of a chain (a + a + ... or x|f|f|...)
            throw new TemplateException("the template nests too deeply to render", false);
        } catch (TemplateException e) {
            throw e;
        } catch (ClassCastException | ArithmeticException | IllegalArgumentException | IndexOutOfBoundsException
                | NullPointerException | UnsupportedOperationException e) {
            // a builtin given a value of a type or size it cannot take (range('a'), 1 // 0, ...)
            throw new TemplateException("cannot render: " + e.getClass().getSimpleName() + ": " + e.getMessage(), false);
        }
        return out.toString();
    }

    /** Counts one step of the current render; throws when the render has gone on too long. */
    private static void step(StringBuilder out, int line) {
        long[] steps = STEPS.get();
        if (++steps[0] > MAX_STEPS) {
            throw new TemplateException("template line " + line + ": rendering takes more than " + MAX_STEPS
                    + " steps; the template loops too much", false);
        }
        checkSize(out.length(), line);
    }

    /** Python's str * n, refused before allocating when the result would be too long. */
    private static String repeat(String x, long n, int line) {
        if (n <= 0 || x.isEmpty()) {
            return "";
        }
        checkSize((double) x.length() * n > MAX_SIZE ? MAX_SIZE + 1 : x.length() * n, line);
        return x.repeat((int) n);
    }

    /** A size (string length, element count) that a render is about to create. */
    static int checkSize(long size, int line) {
        if (size > MAX_SIZE) {
            throw new TemplateException("template line " + line + ": a value of " + size + " characters or elements"
                    + " is more than jlora renders (" + MAX_SIZE + ")", false);
        }
        return (int) Math.max(0, size);
    }

    /** JSON (Jackson) values to the Python-like values templates see. */
    static Object fromJson(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(fromJson(e)));
            return l;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), fromJson(e.getValue())));
        return m;
    }

    // =================================================================== lexer

    private enum T { TEXT, OUT_OPEN, OUT_CLOSE, TAG_OPEN, TAG_CLOSE, NAME, STRING, INT, FLOAT, OP, EOF }

    private record Token(T type, String text, int line) {
        boolean is(T t, String s) {
            return type == t && text.equals(s);
        }

        boolean isName(String s) {
            return is(T.NAME, s);
        }
    }

    private static final class Lexer {
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
                out.add(new Token(kind == '{' ? T.OUT_OPEN : T.TAG_OPEN, "", line));
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
                out.add(new Token(kind == '{' ? T.OUT_CLOSE : T.TAG_CLOSE, "", line));
                trimNextNewline = kind == '%';
            }
            out.add(new Token(T.EOF, "", line));
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
                out.add(new Token(T.TEXT, text, line));
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
            int i = 0;
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return s.substring(i);
        }

        private static String stripTrailing(String s) {
            int i = s.length();
            while (i > 0 && Character.isWhitespace(s.charAt(i - 1))) {
                i--;
            }
            return s.substring(0, i);
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
                out.add(new Token(T.NAME, src.substring(s, pos), line));
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
                out.add(new Token(fraction ? T.FLOAT : T.INT, src.substring(s, pos).replace("_", ""), line));
                return;
            }
            if (c == '\'' || c == '"') {
                out.add(new Token(T.STRING, string(c), line));
                return;
            }
            for (String op : new String[] {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                    "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="}) {
                if (src.startsWith(op, pos)) {
                    out.add(new Token(T.OP, op, line));
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
    }

    // =================================================================== syntax tree

    private interface Node {}

    private record Text(String text) implements Node {}

    private record Output(Expr expr) implements Node {}

    private record If(List<Expr> conditions, List<List<Node>> branches, List<Node> otherwise) implements Node {}

    private record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise,
            int line) implements Node {}

    private record Set(String name, String attribute, Expr value, List<Node> block) implements Node {}

    private record Control(boolean isBreak) implements Node {}

    private interface Expr {
        Object eval(Scope s);
    }

    // =================================================================== parser

    private static final class Parser {
        private final List<Token> tokens;
        private int i;

        Parser(List<Token> tokens) {
            this.tokens = tokens;
        }

        Jinja template() {
            List<Node> body = block();
            if (peek().type != T.EOF) {
                Token t = peek();
                throw error(t, "unexpected '{% " + tokens.get(i + 1).text + " %}'");
            }
            return new Jinja(body);
        }

        /** Nodes until EOF or a tag whose keyword the caller handles (end*, else, elif). */
        private List<Node> block() {
            List<Node> nodes = new ArrayList<>();
            while (true) {
                Token t = peek();
                switch (t.type) {
                    case EOF:
                        return nodes;
                    case TEXT:
                        i++;
                        nodes.add(new Text(t.text));
                        break;
                    case OUT_OPEN: {
                        i++;
                        Expr e = expression();
                        expect(T.OUT_CLOSE, "}}");
                        nodes.add(new Output(e));
                        break;
                    }
                    case TAG_OPEN: {
                        Token keyword = tokens.get(i + 1);
                        String k = keyword.text;
                        if (k.startsWith("end") || k.equals("else") || k.equals("elif")) {
                            return nodes;
                        }
                        i += 2;
                        nodes.add(statement(keyword));
                        break;
                    }
                    default:
                        throw error(t, "unexpected '" + t.text + "'");
                }
            }
        }

        private Node statement(Token keyword) {
            switch (keyword.text) {
                case "if": {
                    List<Expr> conditions = new ArrayList<>();
                    List<List<Node>> branches = new ArrayList<>();
                    conditions.add(expression());
                    expect(T.TAG_CLOSE, "%}");
                    branches.add(block());
                    List<Node> otherwise = List.of();
                    while (true) {
                        String k = closingKeyword(keyword, "endif");
                        if (k.equals("elif")) {
                            conditions.add(expression());
                            expect(T.TAG_CLOSE, "%}");
                            branches.add(block());
                        } else if (k.equals("else")) {
                            expect(T.TAG_CLOSE, "%}");
                            otherwise = block();
                        } else if (k.equals("endif")) {
                            expect(T.TAG_CLOSE, "%}");
                            return new If(conditions, branches, otherwise);
                        } else {
                            throw error(keyword, "'{% " + k + " %}' where '{% endif %}' was expected");
                        }
                    }
                }
                case "for": {
                    List<String> targets = new ArrayList<>();
                    targets.add(name());
                    while (peek().is(T.OP, ",")) {
                        i++;
                        targets.add(name());
                    }
                    if (!next().isName("in")) {
                        throw error(keyword, "expected 'in' in for loop");
                    }
                    Expr iterable = ternaryFree();
                    Expr filter = null;
                    if (peek().isName("if")) {
                        i++;
                        filter = ternaryFree();
                    }
                    if (peek().isName("recursive")) {
                        throw error(keyword, "recursive loops are not supported");
                    }
                    expect(T.TAG_CLOSE, "%}");
                    List<Node> body = block();
                    List<Node> otherwise = List.of();
                    String k = closingKeyword(keyword, "endfor");
                    if (k.equals("else")) {
                        expect(T.TAG_CLOSE, "%}");
                        otherwise = block();
                        k = closingKeyword(keyword, "endfor");
                    }
                    if (!k.equals("endfor")) {
                        throw error(keyword, "'" + k + "' inside a for loop");
                    }
                    expect(T.TAG_CLOSE, "%}");
                    return new For(targets, iterable, filter, body, otherwise, keyword.line);
                }
                case "set": {
                    String target = name();
                    String attribute = null;
                    if (peek().is(T.OP, ".")) {
                        i++;
                        attribute = name();
                    }
                    if (peek().type == T.TAG_CLOSE) {
                        i++;
                        List<Node> body = block();
                        if (!closingKeyword(keyword, "endset").equals("endset")) {
                            throw error(keyword, "expected '{% endset %}'");
                        }
                        expect(T.TAG_CLOSE, "%}");
                        return new Set(target, attribute, null, body);
                    }
                    expect(T.OP, "=");
                    Expr value = expression();
                    if (peek().is(T.OP, ",")) {
                        throw error(keyword, "tuple assignment in 'set' is not supported");
                    }
                    expect(T.TAG_CLOSE, "%}");
                    return new Set(target, attribute, value, null);
                }
                case "break":
                case "continue":
                    expect(T.TAG_CLOSE, "%}");
                    return new Control(keyword.text.equals("break"));
                case "generation": {
                    // transformers' marker of assistant text (return_assistant_tokens_mask): renders its body
                    expect(T.TAG_CLOSE, "%}");
                    List<Node> body = block();
                    if (!closingKeyword(keyword, "endgeneration").equals("endgeneration")) {
                        throw error(keyword, "expected '{% endgeneration %}'");
                    }
                    expect(T.TAG_CLOSE, "%}");
                    return new If(List.of(s -> true), List.of(body), List.of());
                }
                default:
                    throw error(keyword, "'{% " + keyword.text + " %}' is not supported by jlora's template subset");
            }
        }

        /** Consumes "{%" and the keyword of the tag that ended a block. */
        private String closingKeyword(Token opener, String end) {
            if (peek().type != T.TAG_OPEN) {
                throw error(opener, "'{% " + opener.text + " %}' is not closed by '{% " + end + " %}'");
            }
            i++;
            return next().text;
        }

        private String name() {
            Token t = next();
            if (t.type != T.NAME) {
                throw error(t, "expected a name, found '" + t.text + "'");
            }
            return t.text;
        }

        // expressions, lowest precedence first, as Jinja2's parser

        Expr expression() {
            Expr value = ternaryFree();
            if (peek().isName("if")) {
                i++;
                Expr condition = ternaryFree();
                Expr otherwise;
                if (peek().isName("else")) {
                    i++;
                    otherwise = expression();
                } else {
                    otherwise = s -> new Undefined("else branch");
                }
                Expr v = value;
                return s -> truthy(condition.eval(s)) ? v.eval(s) : otherwise.eval(s);
            }
            return value;
        }

        /** An expression without a trailing "x if c else y" (as in for-loop headers). */
        private Expr ternaryFree() {
            return or();
        }

        private Expr or() {
            Expr left = and();
            while (peek().isName("or")) {
                i++;
                Expr l = left;
                Expr r = and();
                left = s -> {
                    Object a = l.eval(s);
                    return truthy(a) ? a : r.eval(s);
                };
            }
            return left;
        }

        private Expr and() {
            Expr left = not();
            while (peek().isName("and")) {
                i++;
                Expr l = left;
                Expr r = not();
                left = s -> {
                    Object a = l.eval(s);
                    return !truthy(a) ? a : r.eval(s);
                };
            }
            return left;
        }

        private Expr not() {
            if (peek().isName("not")) {
                i++;
                Expr e = not();
                return s -> !truthy(e.eval(s));
            }
            return compare();
        }

        private Expr compare() {
            Expr left = math1();
            while (true) {
                Token t = peek();
                String op;
                if (t.type == T.OP && (t.text.equals("==") || t.text.equals("!=") || t.text.equals("<")
                        || t.text.equals(">") || t.text.equals("<=") || t.text.equals(">="))) {
                    op = t.text;
                    i++;
                } else if (t.isName("in")) {
                    op = "in";
                    i++;
                } else if (t.isName("not") && tokens.get(i + 1).isName("in")) {
                    op = "not in";
                    i += 2;
                } else {
                    return left;
                }
                Expr l = left;
                Expr r = math1();
                String o = op;
                int line = t.line;
                left = s -> compareValues(o, l.eval(s), r.eval(s), line);
            }
        }

        private Expr math1() {
            Expr left = concat();
            while (peek().is(T.OP, "+") || peek().is(T.OP, "-")) {
                Token t = next();
                Expr l = left;
                Expr r = concat();
                left = s -> arithmetic(t.text, l.eval(s), r.eval(s), t.line);
            }
            return left;
        }

        private Expr concat() {
            Expr left = math2();
            while (peek().is(T.OP, "~")) {
                i++;
                Expr l = left;
                Expr r = math2();
                left = s -> str(l.eval(s)) + str(r.eval(s));
            }
            return left;
        }

        private Expr math2() {
            Expr left = unary();
            while (peek().is(T.OP, "*") || peek().is(T.OP, "/") || peek().is(T.OP, "//") || peek().is(T.OP, "%")) {
                Token t = next();
                Expr l = left;
                Expr r = unary();
                left = s -> arithmetic(t.text, l.eval(s), r.eval(s), t.line);
            }
            return left;
        }

        private Expr unary() {
            if (peek().is(T.OP, "-")) {
                Token t = next();
                Expr e = unary();
                return s -> arithmetic("-", 0L, e.eval(s), t.line);
            }
            if (peek().is(T.OP, "+")) {
                i++;
                return unary();
            }
            return filters(postfix(primary()));
        }

        private Expr primary() {
            Token t = next();
            switch (t.type) {
                case STRING: {
                    StringBuilder sb = new StringBuilder(t.text);
                    while (peek().type == T.STRING) { // adjacent literals concatenate
                        sb.append(next().text);
                    }
                    String v = sb.toString();
                    return s -> v;
                }
                case INT: {
                    long v;
                    try {
                        v = Long.parseLong(t.text);
                    } catch (NumberFormatException e) {
                        throw error(t, "integer " + t.text + " is too large");
                    }
                    return s -> v;
                }
                case FLOAT: {
                    double v = Double.parseDouble(t.text);
                    return s -> v;
                }
                case NAME:
                    switch (t.text) {
                        case "true":
                        case "True":
                            return s -> Boolean.TRUE;
                        case "false":
                        case "False":
                            return s -> Boolean.FALSE;
                        case "none":
                        case "None":
                            return s -> null;
                        default:
                            return s -> s.get(t.text);
                    }
                case OP:
                    if (t.text.equals("(")) {
                        Expr e = expression();
                        if (peek().is(T.OP, ",")) {
                            List<Expr> items = new ArrayList<>(List.of(e));
                            while (peek().is(T.OP, ",")) {
                                i++;
                                if (peek().is(T.OP, ")")) {
                                    break;
                                }
                                items.add(expression());
                            }
                            expect(T.OP, ")");
                            return s -> evalAll(items, s);
                        }
                        expect(T.OP, ")");
                        return e;
                    }
                    if (t.text.equals("[")) {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().is(T.OP, "]")) {
                            items.add(expression());
                            if (!peek().is(T.OP, ",")) {
                                break;
                            }
                            i++;
                        }
                        expect(T.OP, "]");
                        return s -> evalAll(items, s);
                    }
                    if (t.text.equals("{")) {
                        List<Expr[]> entries = new ArrayList<>();
                        while (!peek().is(T.OP, "}")) {
                            Expr k = expression();
                            expect(T.OP, ":");
                            entries.add(new Expr[] {k, expression()});
                            if (!peek().is(T.OP, ",")) {
                                break;
                            }
                            i++;
                        }
                        expect(T.OP, "}");
                        return s -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            for (Expr[] e : entries) {
                                m.put(str(e[0].eval(s)), e[1].eval(s));
                            }
                            return m;
                        };
                    }
                    break;
                default:
                    break;
            }
            throw error(t, "unexpected '" + t.text + "' in expression");
        }

        private Expr postfix(Expr target) {
            while (true) {
                Token t = peek();
                if (t.is(T.OP, ".")) {
                    i++;
                    String attr = name();
                    Expr o = target;
                    target = s -> attribute(o.eval(s), attr, t.line);
                } else if (t.is(T.OP, "[")) {
                    i++;
                    Expr o = target;
                    Expr[] slice = new Expr[3];
                    boolean isSlice = false;
                    int part = 0;
                    while (!peek().is(T.OP, "]")) {
                        if (peek().is(T.OP, ":")) {
                            i++;
                            isSlice = true;
                            part++;
                            if (part > 2) {
                                throw error(t, "bad slice");
                            }
                            continue;
                        }
                        slice[part] = expression();
                    }
                    expect(T.OP, "]");
                    if (isSlice) {
                        target = s -> slice(o.eval(s), slice[0] == null ? null : slice[0].eval(s),
                                slice[1] == null ? null : slice[1].eval(s), slice[2] == null ? null : slice[2].eval(s), t.line);
                    } else {
                        Expr key = slice[0];
                        target = s -> item(o.eval(s), key.eval(s), t.line);
                    }
                } else if (t.is(T.OP, "(")) {
                    i++;
                    Args args = arguments();
                    Expr o = target;
                    target = s -> call(o.eval(s), args.eval(s), t.line);
                } else {
                    return target;
                }
            }
        }

        private Expr filters(Expr target) {
            while (true) {
                Token t = peek();
                if (t.is(T.OP, "|")) {
                    i++;
                    String name = name();
                    Args args = peek().is(T.OP, "(") ? argumentsAfterParen() : Args.NONE;
                    Expr o = target;
                    target = s -> Builtins.filter(name, o.eval(s), args.eval(s), t.line);
                } else if (t.isName("is")) {
                    i++;
                    boolean negate = false;
                    if (peek().isName("not")) {
                        i++;
                        negate = true;
                    }
                    Token testToken = next();
                    String test = testToken.text;
                    if (testToken.type == T.OP && test.equals("==")) {
                        test = "eq";
                    } else if (testToken.type != T.NAME) {
                        throw error(testToken, "expected a test name after 'is'");
                    }
                    Args args;
                    if (peek().is(T.OP, "(")) {
                        args = argumentsAfterParen();
                    } else if (startsOperand(peek())) {
                        Expr arg = primary();
                        args = new Args(List.of(arg), Map.of());
                    } else {
                        args = Args.NONE;
                    }
                    Expr o = target;
                    String tn = test;
                    boolean neg = negate;
                    target = s -> neg != Builtins.test(tn, o.eval(s), args.eval(s).positional, t.line);
                } else {
                    return target;
                }
            }
        }

        private boolean startsOperand(Token t) {
            return t.type == T.STRING || t.type == T.INT || t.type == T.FLOAT
                    || (t.type == T.NAME && !List.of("and", "or", "not", "in", "is", "if", "else").contains(t.text));
        }

        private Args argumentsAfterParen() {
            expect(T.OP, "(");
            return arguments();
        }

        /** Arguments after "(" up to and including ")". */
        private Args arguments() {
            List<Expr> positional = new ArrayList<>();
            Map<String, Expr> named = new LinkedHashMap<>();
            while (!peek().is(T.OP, ")")) {
                if (peek().type == T.NAME && tokens.get(i + 1).is(T.OP, "=")) {
                    String n = next().text;
                    i++;
                    named.put(n, expression());
                } else {
                    positional.add(expression());
                }
                if (!peek().is(T.OP, ",")) {
                    break;
                }
                i++;
            }
            expect(T.OP, ")");
            return new Args(positional, named);
        }

        private Token peek() {
            return tokens.get(i);
        }

        private Token next() {
            return tokens.get(i++);
        }

        private void expect(T type, String text) {
            Token t = next();
            if (t.type != type || (type == T.OP && !t.text.equals(text))) {
                throw error(t, "expected '" + text + "', found '" + (t.text.isEmpty() ? t.type : t.text) + "'");
            }
        }

        private static TemplateException error(Token at, String message) {
            return new TemplateException("template line " + at.line + ": " + message, false);
        }
    }

    /** Call arguments, unevaluated. */
    private record Args(List<Expr> positional, Map<String, Expr> named) {
        static final Args NONE = new Args(List.of(), Map.of());

        Values eval(Scope s) {
            List<Object> p = new ArrayList<>();
            for (Expr e : positional) {
                p.add(e.eval(s));
            }
            Map<String, Object> n = new LinkedHashMap<>();
            named.forEach((k, e) -> n.put(k, e.eval(s)));
            return new Values(p, n);
        }
    }

    /** Evaluated call arguments. */
    record Values(List<Object> positional, Map<String, Object> named) {
        Object arg(int index, String name, Object fallback) {
            if (index < positional.size()) {
                return positional.get(index);
            }
            return named.getOrDefault(name, fallback);
        }
    }

    private static List<Object> evalAll(List<Expr> items, Scope s) {
        List<Object> out = new ArrayList<>();
        for (Expr e : items) {
            out.add(e.eval(s));
        }
        return out;
    }

    // =================================================================== execution

    private static final class Scope {
        final Scope parent;
        final Map<String, Object> vars = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object get(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            Object builtin = Builtins.global(name);
            return builtin != null ? builtin : new Undefined(name);
        }
    }

    private static final class LoopControl extends RuntimeException {
        final boolean isBreak;

        LoopControl(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    /** A namespace() object: the one thing a template may change from inside a loop. */
    static final class Namespace extends LinkedHashMap<String, Object> {}

    private static void exec(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node n : nodes) {
            step(out, 0);
            if (n instanceof Text t) {
                out.append(t.text());
            } else if (n instanceof Output o) {
                out.append(str(o.expr().eval(scope)));
            } else if (n instanceof If f) {
                boolean done = false;
                for (int k = 0; k < f.conditions().size() && !done; k++) {
                    if (truthy(f.conditions().get(k).eval(scope))) {
                        exec(f.branches().get(k), scope, out);
                        done = true;
                    }
                }
                if (!done) {
                    exec(f.otherwise(), scope, out);
                }
            } else if (n instanceof For f) {
                loop(f, scope, out);
            } else if (n instanceof Set s) {
                Object value;
                if (s.block() != null) {
                    StringBuilder sb = new StringBuilder();
                    exec(s.block(), scope, sb);
                    value = sb.toString();
                } else {
                    value = s.value().eval(scope);
                }
                if (s.attribute() == null) {
                    scope.vars.put(s.name(), value);
                } else {
                    Object target = scope.get(s.name());
                    if (!(target instanceof Namespace ns)) {
                        throw new TemplateException("cannot set '" + s.attribute() + "' on '" + s.name()
                                + "': only namespace() objects can be assigned to", false);
                    }
                    ns.put(s.attribute(), value);
                }
            } else if (n instanceof Control c) {
                throw new LoopControl(c.isBreak());
            }
        }
    }

    private static void loop(For f, Scope scope, StringBuilder out) {
        List<Object> items = new ArrayList<>();
        for (Object o : iterate(f.iterable().eval(scope), f.line())) {
            if (f.filter() != null) {
                Scope probe = new Scope(scope);
                bind(probe, f.targets(), o, f.line());
                if (!truthy(f.filter().eval(probe))) {
                    continue;
                }
            }
            items.add(o);
        }
        if (items.isEmpty()) {
            exec(f.otherwise(), scope, out);
            return;
        }
        // the loop body has its own scope: a plain {% set %} inside does not leak out (Jinja's rule)
        for (int k = 0; k < items.size(); k++) {
            step(out, f.line());
            Scope inner = new Scope(scope);
            bind(inner, f.targets(), items.get(k), f.line());
            Map<String, Object> loopVar = new HashMap<>();
            loopVar.put("index0", (long) k);
            loopVar.put("index", (long) k + 1);
            loopVar.put("revindex0", (long) (items.size() - k - 1));
            loopVar.put("revindex", (long) (items.size() - k));
            loopVar.put("first", k == 0);
            loopVar.put("last", k == items.size() - 1);
            loopVar.put("length", (long) items.size());
            loopVar.put("previtem", k > 0 ? items.get(k - 1) : new Undefined("loop.previtem"));
            loopVar.put("nextitem", k + 1 < items.size() ? items.get(k + 1) : new Undefined("loop.nextitem"));
            inner.vars.put("loop", loopVar);
            try {
                exec(f.body(), inner, out);
            } catch (LoopControl c) {
                if (c.isBreak) {
                    break;
                }
            }
        }
    }

    private static void bind(Scope scope, List<String> targets, Object item, int line) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), item);
            return;
        }
        List<Object> parts = asList(item);
        if (parts == null || parts.size() != targets.size()) {
            throw new TemplateException("template line " + line + ": cannot unpack " + repr(item) + " into "
                    + targets.size() + " names", false);
        }
        for (int k = 0; k < targets.size(); k++) {
            scope.vars.put(targets.get(k), parts.get(k));
        }
    }

    // =================================================================== value semantics (Python's)

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0;
        }
        if (v instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    /** Python's str(). */
    static String str(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Undefined) {
            return "";
        }
        return repr(v);
    }

    /** Python's repr(), as Jinja prints lists and dicts. */
    static String repr(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Double d) {
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16) {
                return String.format(Locale.ROOT, "%.1f", d);
            }
            return d.toString();
        }
        if (v instanceof String s) {
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int k = 0; k < l.size(); k++) {
                sb.append(k > 0 ? ", " : "").append(repr(l.get(k)));
            }
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                first = false;
            }
            return sb.append('}').toString();
        }
        if (v instanceof Undefined) {
            return "";
        }
        return String.valueOf(v);
    }

    static String typeName(Object v) {
        if (v == null) {
            return "none";
        }
        if (v instanceof Undefined u) {
            return "undefined ('" + u.name + "')";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        if (v instanceof Long || v instanceof Double) {
            return "number";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        return v.getClass().getSimpleName();
    }

    static boolean equal(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (isNumber(a) && isNumber(b)) {
            return toDouble(a) == toDouble(b);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int k = 0; k < x.size(); k++) {
                if (!equal(x.get(k), y.get(k))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) v).doubleValue();
    }

    private static Object compareValues(String op, Object a, Object b, int line) {
        switch (op) {
            case "==":
                return equal(a, b);
            case "!=":
                return !equal(a, b);
            case "in":
                return contains(b, a, line);
            case "not in":
                return !contains(b, a, line);
            default:
                break;
        }
        int c;
        if (isNumber(a) && isNumber(b)) {
            c = Double.compare(toDouble(a), toDouble(b));
        } else if (a instanceof String x && b instanceof String y) {
            c = x.compareTo(y);
        } else {
            throw new TemplateException("template line " + line + ": cannot compare " + typeName(a) + " " + op + " "
                    + typeName(b), false);
        }
        return switch (op) {
            case "<" -> c < 0;
            case ">" -> c > 0;
            case "<=" -> c <= 0;
            default -> c >= 0;
        };
    }

    private static boolean contains(Object container, Object item, int line) {
        if (container instanceof String s) {
            return item instanceof String x && s.contains(x);
        }
        if (container instanceof Map<?, ?> m) {
            return m.containsKey(item instanceof String ? item : str(item));
        }
        if (container instanceof List<?> l) {
            for (Object o : l) {
                if (equal(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Undefined u) {
            throw new TemplateException("template line " + line + ": '" + u.name + "' is undefined", false);
        }
        throw new TemplateException("template line " + line + ": 'in' needs a string, list or dict, not "
                + typeName(container), false);
    }

    private static Object arithmetic(String op, Object a, Object b, int line) {
        if (op.equals("+")) {
            if (a instanceof String x && b instanceof String y) {
                return x + y;
            }
            if (a instanceof List<?> x && b instanceof List<?> y) {
                List<Object> l = new ArrayList<>(x);
                l.addAll(y);
                return l;
            }
        }
        if (op.equals("*")) {
            if (a instanceof String x && b instanceof Long n) {
                return repeat(x, n, line);
            }
            if (a instanceof Long n && b instanceof String x) {
                return repeat(x, n, line);
            }
        }
        if (!isNumber(a) || !isNumber(b)) {
            String hint = a instanceof Undefined u ? " ('" + u.name + "' is undefined)"
                    : b instanceof Undefined u ? " ('" + u.name + "' is undefined)" : "";
            throw new TemplateException("template line " + line + ": cannot apply '" + op + "' to " + typeName(a)
                    + " and " + typeName(b) + hint, false);
        }
        boolean integers = !(a instanceof Double) && !(b instanceof Double);
        if (integers) {
            long x = (long) toDouble(a);
            long y = (long) toDouble(b);
            switch (op) {
                case "+":
                    return x + y;
                case "-":
                    return x - y;
                case "*":
                    return x * y;
                case "/":
                    return (double) x / y;
                case "//":
                    return Math.floorDiv(x, y);
                case "%":
                    return Math.floorMod(x, y);
                default:
                    break;
            }
        }
        double x = toDouble(a);
        double y = toDouble(b);
        return switch (op) {
            case "+" -> x + y;
            case "-" -> x - y;
            case "*" -> x * y;
            case "/" -> x / y;
            case "//" -> Math.floor(x / y);
            default -> x - Math.floor(x / y) * y;
        };
    }

    static List<Object> asList(Object v) {
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        return null;
    }

    static Iterable<?> iterate(Object v, int line) {
        if (v instanceof List<?> l) {
            return l;
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            List<Object> chars = new ArrayList<>();
            s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
            return chars;
        }
        if (v instanceof Undefined || v == null) {
            if (v == null) {
                throw new TemplateException("template line " + line + ": cannot loop over none", false);
            }
            return List.of();
        }
        throw new TemplateException("template line " + line + ": cannot loop over " + typeName(v), false);
    }

    private static Object attribute(Object target, String name, int line) {
        if (target instanceof Map<?, ?> m) {
            if (m.containsKey(name)) {
                return m.get(name);
            }
            if (!(target instanceof Namespace) && List.of("get", "items", "keys", "values").contains(name)) {
                return new Method(target, name);
            }
            return new Undefined(name);
        }
        if (target instanceof String || target instanceof List) {
            return new Method(target, name);
        }
        if (target instanceof Undefined u) {
            throw new TemplateException("template line " + line + ": '" + u.name + "' is undefined (reading ." + name
                    + ")", false);
        }
        if (target == null) {
            throw new TemplateException("template line " + line + ": none has no attribute '" + name + "'", false);
        }
        return new Undefined(name);
    }

    private static Object item(Object target, Object key, int line) {
        if (target instanceof Map<?, ?> m) {
            Object k = key instanceof String ? key : str(key);
            return m.containsKey(k) ? m.get(k) : new Undefined(str(key));
        }
        if (target instanceof List<?> l && key instanceof Long n) {
            long idx = n < 0 ? l.size() + n : n;
            return idx >= 0 && idx < l.size() ? l.get((int) idx) : new Undefined("[" + n + "]");
        }
        if (target instanceof String s && key instanceof Long n) {
            long idx = n < 0 ? s.length() + n : n;
            return idx >= 0 && idx < s.length() ? String.valueOf(s.charAt((int) idx)) : new Undefined("[" + n + "]");
        }
        if (target instanceof String && key instanceof String k) {
            return attribute(target, k, line);
        }
        if (target instanceof Undefined u) {
            throw new TemplateException("template line " + line + ": '" + u.name + "' is undefined (reading ["
                    + repr(key) + "])", false);
        }
        throw new TemplateException("template line " + line + ": cannot index " + typeName(target) + " with "
                + repr(key), false);
    }

    private static Object slice(Object target, Object start, Object stop, Object step, int line) {
        List<Object> items;
        boolean string = target instanceof String;
        if (target instanceof String s) {
            items = new ArrayList<>();
            for (char ch : s.toCharArray()) {
                items.add(String.valueOf(ch));
            }
        } else if (target instanceof List<?> l) {
            items = new ArrayList<>(l);
        } else {
            throw new TemplateException("template line " + line + ": cannot slice " + typeName(target), false);
        }
        int n = items.size();
        long st = step == null ? 1 : (Long) step;
        if (st == 0) {
            throw new TemplateException("template line " + line + ": slice step cannot be zero", false);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) {
            long a = bound(start, n, 0, false);
            long b = bound(stop, n, n, false);
            for (long k = a; k < b; k += st) {
                out.add(items.get((int) k));
            }
        } else {
            long a = bound(start, n, n - 1, true);
            long b = stop == null ? -1 : bound(stop, n, -1, true);
            for (long k = a; k > b; k += st) {
                out.add(items.get((int) k));
            }
        }
        if (string) {
            StringBuilder sb = new StringBuilder();
            out.forEach(sb::append);
            return sb.toString();
        }
        return out;
    }

    private static long bound(Object v, int n, long fallback, boolean reverse) {
        if (v == null) {
            return fallback;
        }
        long k = (Long) v;
        if (k < 0) {
            k += n;
        }
        if (reverse) {
            return Math.max(-1, Math.min(n - 1, k));
        }
        return Math.max(0, Math.min(n, k));
    }

    /** A bound method of a string, list or dict. */
    private record Method(Object self, String name) {}

    /** A global function. */
    private interface Function {
        Object call(Values args, int line);
    }

    private static Object call(Object callee, Values args, int line) {
        if (callee instanceof Function f) {
            return f.call(args, line);
        }
        if (callee instanceof Method m) {
            return Builtins.method(m.self(), m.name(), args, line);
        }
        if (callee instanceof Undefined u) {
            throw new TemplateException("template line " + line + ": '" + u.name
                    + "' is not a function jlora's template subset knows", false);
        }
        throw new TemplateException("template line " + line + ": " + typeName(callee) + " is not callable", false);
    }

    // =================================================================== builtins

    private static final class Builtins {
        static Object global(String name) {
            return switch (name) {
                case "raise_exception" -> (Function) (a, line) -> {
                    throw new TemplateException(str(a.arg(0, "message", "")), true);
                };
                case "namespace" -> (Function) (a, line) -> {
                    Namespace ns = new Namespace();
                    ns.putAll(a.named());
                    return ns;
                };
                case "range" -> (Function) (a, line) -> {
                    long start = 0;
                    long stop;
                    long step = 1;
                    if (a.positional().size() == 1) {
                        stop = (Long) a.positional().get(0);
                    } else {
                        start = (Long) a.positional().get(0);
                        stop = (Long) a.positional().get(1);
                        if (a.positional().size() > 2) {
                            step = (Long) a.positional().get(2);
                        }
                    }
                    if (step == 0) {
                        throw new TemplateException("template line " + line + ": range() step cannot be zero", false);
                    }
                    // computed before the list is built, so that range(10**12) fails at once
                    double count = Math.max(0, Math.ceil(((double) stop - start) / step));
                    checkSize(count > MAX_SIZE ? MAX_SIZE + 1 : (long) count, line);
                    List<Object> out = new ArrayList<>();
                    for (long k = start; step > 0 ? k < stop : k > stop; k += step) {
                        out.add(k);
                    }
                    return out;
                };
                case "strftime_now" -> (Function) (a, line) -> strftime(str(a.arg(0, "format", "")), LocalDateTime.now());
                default -> null;
            };
        }

        static Object method(Object self, String name, Values a, int line) {
            if (self instanceof String s) {
                switch (name) {
                    case "strip":
                        return strip(s, a.arg(0, "chars", null), true, true);
                    case "lstrip":
                        return strip(s, a.arg(0, "chars", null), true, false);
                    case "rstrip":
                        return strip(s, a.arg(0, "chars", null), false, true);
                    case "startswith":
                        return startsOrEnds(s, a.arg(0, "prefix", ""), true);
                    case "endswith":
                        return startsOrEnds(s, a.arg(0, "suffix", ""), false);
                    case "lower":
                        return s.toLowerCase(Locale.ROOT);
                    case "upper":
                        return s.toUpperCase(Locale.ROOT);
                    case "title":
                        return title(s);
                    case "capitalize":
                        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                    case "replace": {
                        String from = str(a.arg(0, "old", ""));
                        String to = str(a.arg(1, "new", ""));
                        Object count = a.arg(2, "count", null);
                        if (count == null) {
                            return s.replace(from, to);
                        }
                        String out = s;
                        int start = 0;
                        for (long k = 0; k < (Long) count; k++) {
                            int at = out.indexOf(from, start);
                            if (at < 0) {
                                break;
                            }
                            out = out.substring(0, at) + to + out.substring(at + from.length());
                            start = at + to.length();
                        }
                        return out;
                    }
                    case "split":
                        return split(s, a.arg(0, "sep", null), a.arg(1, "maxsplit", -1L));
                    case "join": {
                        StringBuilder sb = new StringBuilder();
                        boolean first = true;
                        for (Object o : iterate(a.arg(0, "iterable", List.of()), line)) {
                            sb.append(first ? "" : s).append(str(o));
                            first = false;
                        }
                        return sb.toString();
                    }
                    case "count":
                        return (long) count(s, str(a.arg(0, "sub", "")));
                    case "find":
                        return (long) s.indexOf(str(a.arg(0, "sub", "")));
                    default:
                        break;
                }
            } else if (self instanceof Map<?, ?> m) {
                switch (name) {
                    case "get": {
                        Object k = a.arg(0, "key", null);
                        return m.containsKey(k) ? m.get(k) : a.arg(1, "default", null);
                    }
                    case "items": {
                        List<Object> out = new ArrayList<>();
                        m.forEach((k, v) -> out.add(List.of(k, v == null ? NULL_ITEM : v)));
                        return unwrapNulls(out);
                    }
                    case "keys":
                        return new ArrayList<Object>(m.keySet());
                    case "values":
                        return new ArrayList<Object>(m.values());
                    default:
                        break;
                }
            }
            throw new TemplateException("template line " + line + ": " + typeName(self) + "." + name
                    + "() is not supported by jlora's template subset", false);
        }

        private static final Object NULL_ITEM = new Object();

        private static List<Object> unwrapNulls(List<Object> pairs) {
            List<Object> out = new ArrayList<>();
            for (Object p : pairs) {
                List<?> pair = (List<?>) p;
                List<Object> fixed = new ArrayList<>();
                for (Object o : pair) {
                    fixed.add(o == NULL_ITEM ? null : o);
                }
                out.add(fixed);
            }
            return out;
        }

        static Object filter(String name, Object v, Values a, int line) {
            switch (name) {
                case "trim":
                    return strip(str(v), a.arg(0, "chars", null), true, true);
                case "length":
                case "count":
                    if (v instanceof String s) {
                        return (long) s.codePointCount(0, s.length());
                    }
                    if (v instanceof Collection<?> c) {
                        return (long) c.size();
                    }
                    if (v instanceof Map<?, ?> m) {
                        return (long) m.size();
                    }
                    if (v instanceof Undefined) {
                        return 0L;
                    }
                    break;
                case "lower":
                    return str(v).toLowerCase(Locale.ROOT);
                case "upper":
                    return str(v).toUpperCase(Locale.ROOT);
                case "title":
                    return title(str(v));
                case "capitalize": {
                    String s = str(v);
                    return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                }
                case "default":
                case "d": {
                    Object fallback = a.arg(0, "default_value", "");
                    boolean bool = truthy(a.arg(1, "boolean", false));
                    return v instanceof Undefined || (bool && !truthy(v)) ? fallback : v;
                }
                case "first": {
                    Iterator<?> it = iterate(v, line).iterator();
                    return it.hasNext() ? it.next() : new Undefined("first");
                }
                case "last": {
                    List<Object> l = new ArrayList<>();
                    iterate(v, line).forEach(l::add);
                    return l.isEmpty() ? new Undefined("last") : l.get(l.size() - 1);
                }
                case "join": {
                    String sep = str(a.arg(0, "d", ""));
                    Object attr = a.arg(1, "attribute", null);
                    StringBuilder sb = new StringBuilder();
                    boolean first = true;
                    for (Object o : iterate(v, line)) {
                        sb.append(first ? "" : sep).append(str(attr == null ? o : attribute(o, str(attr), line)));
                        first = false;
                    }
                    return sb.toString();
                }
                case "list": {
                    List<Object> l = new ArrayList<>();
                    iterate(v, line).forEach(l::add);
                    return l;
                }
                case "reverse": {
                    if (v instanceof String s) {
                        return new StringBuilder(s).reverse().toString();
                    }
                    List<Object> l = new ArrayList<>();
                    iterate(v, line).forEach(l::add);
                    java.util.Collections.reverse(l);
                    return l;
                }
                case "string":
                    return str(v);
                case "safe":
                case "e":
                case "escape":
                    return v;
                case "int":
                    if (v instanceof String s) {
                        try {
                            return Long.parseLong(s.trim());
                        } catch (NumberFormatException e) {
                            return a.arg(0, "default", 0L);
                        }
                    }
                    return isNumber(v) ? (long) toDouble(v) : a.arg(0, "default", 0L);
                case "float":
                    if (v instanceof String s) {
                        try {
                            return Double.parseDouble(s.trim());
                        } catch (NumberFormatException e) {
                            return a.arg(0, "default", 0.0);
                        }
                    }
                    return isNumber(v) ? toDouble(v) : a.arg(0, "default", 0.0);
                case "abs":
                    return v instanceof Long l ? Math.abs(l) : Math.abs(toDouble(v));
                case "tojson":
                    return toJson(v, a.arg(0, "indent", null), line);
                case "items":
                    if (v instanceof Map<?, ?> m) {
                        return method(m, "items", a, line);
                    }
                    break;
                case "replace":
                    return method(str(v), "replace", a, line);
                case "selectattr":
                case "rejectattr": {
                    String attr = str(a.arg(0, "attr", ""));
                    List<Object> out = new ArrayList<>();
                    for (Object o : iterate(v, line)) {
                        Object value = attribute(o, attr, line);
                        boolean pass;
                        if (a.positional().size() > 1) {
                            String test = str(a.positional().get(1));
                            pass = test(test, value, a.positional().subList(2, a.positional().size()), line);
                        } else {
                            pass = truthy(value);
                        }
                        if (pass == name.equals("selectattr")) {
                            out.add(o);
                        }
                    }
                    return out;
                }
                case "map": {
                    List<Object> out = new ArrayList<>();
                    Object attr = a.named().get("attribute");
                    for (Object o : iterate(v, line)) {
                        if (attr != null) {
                            Object value = attribute(o, str(attr), line);
                            out.add(value instanceof Undefined && a.named().containsKey("default") ? a.named().get("default") : value);
                        } else if (!a.positional().isEmpty()) {
                            List<Object> rest = a.positional().subList(1, a.positional().size());
                            out.add(filter(str(a.positional().get(0)), o, new Values(rest, Map.of()), line));
                        } else {
                            out.add(o);
                        }
                    }
                    return out;
                }
                case "unique": {
                    List<Object> out = new ArrayList<>();
                    for (Object o : iterate(v, line)) {
                        if (out.stream().noneMatch(x -> equal(x, o))) {
                            out.add(o);
                        }
                    }
                    return out;
                }
                case "indent": {
                    long width = (Long) a.arg(0, "width", 4L);
                    boolean first = truthy(a.arg(1, "first", false));
                    String pad = " ".repeat(checkSize(width, line));
                    String[] lines = str(v).split("\n", -1);
                    StringBuilder sb = new StringBuilder();
                    for (int k = 0; k < lines.length; k++) {
                        if (k > 0) {
                            sb.append('\n');
                        }
                        boolean indent = (k > 0 || first) && !lines[k].isEmpty();
                        sb.append(indent ? pad : "").append(lines[k]);
                    }
                    return sb.toString();
                }
                default:
                    throw new TemplateException("template line " + line + ": filter '" + name
                            + "' is not supported by jlora's template subset", false);
            }
            throw new TemplateException("template line " + line + ": filter '" + name + "' cannot take " + typeName(v),
                    false);
        }

        static boolean test(String name, Object v, List<Object> args, int line) {
            switch (name) {
                case "defined":
                    return !(v instanceof Undefined);
                case "undefined":
                    return v instanceof Undefined;
                case "none":
                    return v == null;
                case "string":
                    return v instanceof String;
                case "number":
                    return v instanceof Long || v instanceof Double;
                case "integer":
                    return v instanceof Long;
                case "float":
                    return v instanceof Double;
                case "boolean":
                    return v instanceof Boolean;
                case "true":
                    return Boolean.TRUE.equals(v);
                case "false":
                    return Boolean.FALSE.equals(v);
                case "mapping":
                    return v instanceof Map;
                case "sequence":
                case "iterable":
                    return v instanceof List || v instanceof String || v instanceof Map;
                case "callable":
                    return v instanceof Function || v instanceof Method;
                case "even":
                    return v instanceof Long l && l % 2 == 0;
                case "odd":
                    return v instanceof Long l && l % 2 != 0;
                case "divisibleby":
                    return v instanceof Long l && l % (Long) args.get(0) == 0;
                case "eq":
                case "equalto":
                case "sameas":
                    return equal(v, args.get(0));
                case "ne":
                    return !equal(v, args.get(0));
                case "in":
                    return contains(args.get(0), v, line);
                case "lower":
                    return v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
                case "upper":
                    return v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
                default:
                    throw new TemplateException("template line " + line + ": test '" + name
                            + "' is not supported by jlora's template subset", false);
            }
        }

        /** Jinja's tojson as transformers defines it: json.dumps(x, ensure_ascii=False, indent=indent). */
        private static String toJson(Object v, Object indent, int line) {
            StringBuilder sb = new StringBuilder();
            writeJson(sb, toPlain(v), indent == null ? -1 : (int) (long) (Long) indent, 0, line);
            return sb.toString();
        }

        private static void writeJson(StringBuilder sb, Object v, int indent, int depth, int line) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Boolean b) {
                sb.append(b ? "true" : "false");
            } else if (v instanceof Long || v instanceof Double) {
                sb.append(repr(v));
            } else if (v instanceof String s) {
                quoteJson(sb, s);
            } else if (v instanceof List<?> l) {
                if (l.isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                for (int k = 0; k < l.size(); k++) {
                    sb.append(k == 0 ? "" : indent >= 0 ? "," : ", ");
                    newline(sb, indent, depth + 1);
                    writeJson(sb, l.get(k), indent, depth + 1, line);
                }
                newline(sb, indent, depth);
                sb.append(']');
            } else if (v instanceof Map<?, ?> m) {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(first ? "" : indent >= 0 ? "," : ", ");
                    first = false;
                    newline(sb, indent, depth + 1);
                    quoteJson(sb, str(e.getKey()));
                    sb.append(": ");
                    writeJson(sb, e.getValue(), indent, depth + 1, line);
                }
                newline(sb, indent, depth);
                sb.append('}');
            } else {
                throw new TemplateException("template line " + line + ": tojson cannot write " + typeName(v), false);
            }
        }

        private static void newline(StringBuilder sb, int indent, int depth) {
            if (indent >= 0) {
                sb.append('\n').append(" ".repeat(indent * depth));
            }
        }

        private static void quoteJson(StringBuilder sb, String s) {
            sb.append('"');
            for (int k = 0; k < s.length(); k++) {
                char ch = s.charAt(k);
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (ch < 0x20) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                        } else {
                            sb.append(ch);
                        }
                    }
                }
            }
            sb.append('"');
        }

        private static Object toPlain(Object v) {
            if (v instanceof Undefined) {
                return null;
            }
            if (v instanceof List<?> l) {
                List<Object> out = new ArrayList<>();
                l.forEach(o -> out.add(toPlain(o)));
                return out;
            }
            if (v instanceof Map<?, ?> m) {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, o) -> out.put(str(k), toPlain(o)));
                return out;
            }
            return v;
        }

        private static String strip(String s, Object chars, boolean left, boolean right) {
            String set = chars == null ? null : str(chars);
            int a = 0;
            int b = s.length();
            while (left && a < b && (set == null ? Character.isWhitespace(s.charAt(a)) : set.indexOf(s.charAt(a)) >= 0)) {
                a++;
            }
            while (right && b > a && (set == null ? Character.isWhitespace(s.charAt(b - 1)) : set.indexOf(s.charAt(b - 1)) >= 0)) {
                b--;
            }
            return s.substring(a, b);
        }

        private static boolean startsOrEnds(String s, Object arg, boolean start) {
            if (arg instanceof List<?> options) {
                for (Object o : options) {
                    if (start ? s.startsWith(str(o)) : s.endsWith(str(o))) {
                        return true;
                    }
                }
                return false;
            }
            return start ? s.startsWith(str(arg)) : s.endsWith(str(arg));
        }

        private static List<Object> split(String s, Object sep, Object maxsplit) {
            long max = maxsplit == null ? -1 : (Long) maxsplit;
            List<Object> out = new ArrayList<>();
            if (sep == null) {
                String rest = s.strip();
                while (!rest.isEmpty()) {
                    if (max >= 0 && out.size() == max) {
                        out.add(rest);
                        return out;
                    }
                    int k = 0;
                    while (k < rest.length() && !Character.isWhitespace(rest.charAt(k))) {
                        k++;
                    }
                    out.add(rest.substring(0, k));
                    rest = rest.substring(k).stripLeading();
                }
                return out;
            }
            String d = str(sep);
            int start = 0;
            while (true) {
                int at = s.indexOf(d, start);
                if (at < 0 || (max >= 0 && out.size() == max)) {
                    out.add(s.substring(start));
                    return out;
                }
                out.add(s.substring(start, at));
                start = at + d.length();
            }
        }

        private static int count(String s, String sub) {
            if (sub.isEmpty()) {
                return s.length() + 1;
            }
            int n = 0;
            for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
                n++;
            }
            return n;
        }

        private static String title(String s) {
            StringBuilder sb = new StringBuilder();
            boolean start = true;
            for (char ch : s.toCharArray()) {
                sb.append(start ? Character.toUpperCase(ch) : Character.toLowerCase(ch));
                start = !Character.isLetter(ch);
            }
            return sb.toString();
        }

        /** The strftime directives chat templates use for dates. */
        static String strftime(String format, LocalDateTime t) {
            String[] months = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December"};
            String[] days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < format.length(); k++) {
                char ch = format.charAt(k);
                if (ch != '%' || k + 1 >= format.length()) {
                    sb.append(ch);
                    continue;
                }
                char d = format.charAt(++k);
                switch (d) {
                    case 'd' -> sb.append(String.format(Locale.ROOT, "%02d", t.getDayOfMonth()));
                    case 'm' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMonthValue()));
                    case 'Y' -> sb.append(t.getYear());
                    case 'y' -> sb.append(String.format(Locale.ROOT, "%02d", t.getYear() % 100));
                    case 'b' -> sb.append(months[t.getMonthValue() - 1], 0, 3);
                    case 'B' -> sb.append(months[t.getMonthValue() - 1]);
                    case 'a' -> sb.append(days[t.getDayOfWeek().getValue() - 1], 0, 3);
                    case 'A' -> sb.append(days[t.getDayOfWeek().getValue() - 1]);
                    case 'H' -> sb.append(String.format(Locale.ROOT, "%02d", t.getHour()));
                    case 'M' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMinute()));
                    case 'S' -> sb.append(String.format(Locale.ROOT, "%02d", t.getSecond()));
                    case '%' -> sb.append('%');
                    default -> sb.append('%').append(d);
                }
            }
            return sb.toString();
        }
    }
}
