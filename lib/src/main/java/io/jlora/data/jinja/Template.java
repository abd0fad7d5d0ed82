package io.jlora.data.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed Jinja template, rendered as Python's jinja2 renders it with the settings transformers
 * uses for chat templates. Parse once, render many times (thread-safe: a render keeps its state in
 * its own {@link Interpreter}).
 */
public final class Template {

    private final List<Node> body;

    private Template(List<Node> body) {
        this.body = body;
    }

    /** Parses a template; a construct outside jlora's subset fails naming it and its line. */
    public static Template parse(String source) {
        try {
            return new Template(new Parser(new Lexer(source).tokens()).template());
        } catch (StackOverflowError e) {
            // the parser descends once per nesting level: (((...))), not not not ..., {% if %} in {% if %}
            throw new TemplateException("the template nests too deeply to parse", false);
        }
    }

    /** What a render wrote, and where its {@code generation} blocks' text lies in it. */
    public record Rendered(String text, List<int[]> generationSpans) {}

    /** Renders with these variables (Python-like values: see {@link #value}). */
    public String render(Map<String, Object> variables) {
        return renderWithSpans(variables).text();
    }

    /** Renders, keeping the [start, end) character spans written inside {@code generation} blocks. */
    public Rendered renderWithSpans(Map<String, Object> variables) {
        Scope scope = new Scope(null);
        scope.vars.putAll(variables);
        try {
            Interpreter interpreter = new Interpreter();
            String text = interpreter.run(body, scope);
            return new Rendered(text, List.copyOf(interpreter.generationSpans()));
        } catch (Interpreter.LoopControl c) {
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
    }

    /**
     * A Java value as templates see it: JSON (Jackson) nodes, maps, lists, strings, numbers (ints
     * as Long, others as Double), booleans and null, converted deeply.
     */
    public static Object value(Object v) {
        if (v instanceof JsonNode n) {
            return fromJson(n);
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, o) -> out.put(String.valueOf(k), value(o)));
            return out;
        }
        if (v instanceof Iterable<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(o -> out.add(value(o)));
            return out;
        }
        if (v instanceof Object[] array) {
            return value(List.of(array));
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof java.math.BigDecimal || v instanceof java.math.BigInteger) {
            Number n = (Number) v;
            return v instanceof java.math.BigInteger ? (Object) n.longValue() : (Object) n.doubleValue();
        }
        if (v instanceof Character c) {
            return c.toString();
        }
        return v;
    }

    /** JSON (Jackson) values to the Python-like values templates see. */
    public static Object fromJson(JsonNode n) {
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
}
