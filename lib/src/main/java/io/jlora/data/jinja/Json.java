package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import static io.jlora.data.jinja.Py.repr;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.typeName;

/** The tojson filter as transformers defines it: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
final class Json {
    private Json() {}

    /** Jinja's tojson as transformers defines it: json.dumps(x, ensure_ascii=False, indent=indent). */
    static String toJson(Object v, Object indent, int line) {
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
}
