package io.jlora.data.jinja;

import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.typeName;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tojson filter as transformers defines it: {@code json.dumps(x, ensure_ascii=False,
 * indent=indent, separators=separators, sort_keys=sort_keys)}, byte for byte: Python's separators
 * ({@code ", "} and {@code ": "}, or {@code ","} between items when indenting), floats as Python's
 * repr ({@code 1e-05}, {@code 1e+16}, {@code 2.0}), non-ASCII characters unescaped.
 */
final class Json {
    private Json() {}

    /** Arguments as transformers' tojson: (indent=None, separators=None, sort_keys=False). */
    static String toJson(Object v, Values a, int line) {
        Object indentArg = a.arg(0, "indent", null);
        String indent = indentArg == null ? null
                : indentArg instanceof String s ? s : " ".repeat(Limits.checkSize((Long) indentArg, line));
        String item = indent == null ? ", " : ",";
        String key = ": ";
        if (a.arg(1, "separators", null) instanceof List<?> seps && seps.size() == 2) {
            item = str(seps.get(0));
            key = str(seps.get(1));
        }
        boolean sort = Py.truthy(a.arg(2, "sort_keys", false));
        StringBuilder sb = new StringBuilder();
        new Json.Writer(sb, indent, item, key, sort, line).write(v, 0);
        return sb.toString();
    }

    private record Writer(StringBuilder sb, String indent, String item, String key, boolean sort, int line) {
        void write(Object v, int depth) {
            if (v == null || v instanceof Undefined) {
                sb.append("null");
            } else if (v instanceof Boolean b) {
                sb.append(b ? "true" : "false");
            } else if (v instanceof Long l) {
                sb.append(l);
            } else if (v instanceof Double d) {
                sb.append(d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : PyFloat.repr(d));
            } else if (v instanceof String s) {
                quote(sb, s);
            } else if (v instanceof List<?> l) {
                if (l.isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                for (int k = 0; k < l.size(); k++) {
                    sb.append(k == 0 ? "" : item);
                    newline(depth + 1);
                    write(l.get(k), depth + 1);
                }
                newline(depth);
                sb.append(']');
            } else if (v instanceof Map<?, ?> m) {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                Map<String, Object> entries = sort ? new TreeMap<>() : new LinkedHashMap<>();
                m.forEach((k, o) -> entries.put(keyText(k), o));
                sb.append('{');
                boolean first = true;
                for (Map.Entry<String, Object> e : entries.entrySet()) {
                    sb.append(first ? "" : item);
                    first = false;
                    newline(depth + 1);
                    quote(sb, e.getKey());
                    sb.append(key);
                    write(e.getValue(), depth + 1);
                }
                newline(depth);
                sb.append('}');
            } else {
                throw new TemplateException("template line " + line + ": tojson cannot write " + typeName(v), false);
            }
        }

        /** json.dumps turns non-string keys into text: True to "true", None to "null", 1.5 to "1.5". */
        private static String keyText(Object k) {
            if (k == null) {
                return "null";
            }
            if (k instanceof Boolean b) {
                return b ? "true" : "false";
            }
            return str(k);
        }

        private void newline(int depth) {
            if (indent != null) {
                sb.append('\n').append(indent.repeat(depth));
            }
        }
    }

    /** A JSON string as json.dumps(ensure_ascii=False) writes it. */
    static void quote(StringBuilder sb, String s) {
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
}
