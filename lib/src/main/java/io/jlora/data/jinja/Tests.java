package io.jlora.data.jinja;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import static io.jlora.data.jinja.Py.contains;
import static io.jlora.data.jinja.Py.equal;

/** Jinja's tests ({@code x is defined}, {@code x is string}, ...). */
final class Tests {
    private Tests() {}

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
                return v instanceof Access.Function || v instanceof Access.Method;
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
}
