package io.jlora.data.jinja;

import static io.jlora.data.jinja.Py.isNumber;
import static io.jlora.data.jinja.Py.repr;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.toDouble;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python's string formatting: {@code repr(str)}, {@code str.format(...)} and {@code "..." % args}. */
final class PyFormat {
    private PyFormat() {}

    /** repr() of a string: single quotes unless it holds ' and no ", Python's escapes. */
    static String reprString(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        s.codePoints().forEach(c -> {
            if (c == q || c == '\\') {
                sb.append('\\').appendCodePoint(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                sb.append(String.format(Locale.ROOT, "\\x%02x", c));
            } else if (!printable(c)) {
                sb.append(c <= 0xffff ? String.format(Locale.ROOT, "\\u%04x", c) : String.format(Locale.ROOT, "\\U%08x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append(q).toString();
    }

    /** Python's str.isprintable for one character: not a separator (other than space) nor "other". */
    private static boolean printable(int c) {
        if (c == ' ') {
            return true;
        }
        int t = Character.getType(c);
        return !(t == Character.SPACE_SEPARATOR || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
                || t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED);
    }

    /** {@code "...".format(args)}: {}, {0}, {name}, with an optional {@code :spec} of {@link #spec}. */
    static String format(String s, Values a, int line) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if ((c == '{' || c == '}') && k + 1 < s.length() && s.charAt(k + 1) == c) {
                sb.append(c);
                k++;
            } else if (c == '{') {
                int end = s.indexOf('}', k);
                if (end < 0) {
                    throw new TemplateException("template line " + line + ": format string has '{' without '}'", false);
                }
                String field = s.substring(k + 1, end);
                String spec = null;
                int colon = field.indexOf(':');
                if (colon >= 0) {
                    spec = field.substring(colon + 1);
                    field = field.substring(0, colon);
                }
                Object value;
                if (field.isEmpty()) {
                    value = a.positional().get(auto++);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    value = a.positional().get(Integer.parseInt(field));
                } else {
                    value = a.named().get(field);
                }
                sb.append(spec == null || spec.isEmpty() ? str(value) : spec(value, spec, line));
                k = end;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** {@code "..." % args}: %s, %r, %d, %i, %f and %.Nf, %%, %(name)s with a dict. */
    static String percent(String s, Object args, int line) {
        List<?> list = args instanceof List<?> l ? l : List.of(args == null ? "None" : args);
        Map<?, ?> named = args instanceof Map<?, ?> m ? m : null;
        if (args == null) {
            list = java.util.Collections.singletonList(null);
        }
        StringBuilder sb = new StringBuilder();
        int next = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c != '%' || k + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            int j = k + 1;
            Object value;
            if (s.charAt(j) == '%') {
                sb.append('%');
                k = j;
                continue;
            }
            if (s.charAt(j) == '(' && named != null) {
                int close = s.indexOf(')', j);
                value = named.get(s.substring(j + 1, close));
                j = close + 1;
            } else {
                if (next >= list.size()) {
                    throw new TemplateException("template line " + line + ": not enough arguments for format string", false);
                }
                value = list.get(next++);
            }
            int specStart = j;
            while (j < s.length() && "0123456789.-+ #".indexOf(s.charAt(j)) >= 0) {
                j++;
            }
            String flags = s.substring(specStart, j);
            char conv = s.charAt(j);
            sb.append(switch (conv) {
                case 's' -> pad(str(value), flags);
                case 'r' -> pad(repr(value), flags);
                default -> spec(value, flags + (conv == 'i' || conv == 'u' ? 'd' : conv), line);
            });
            k = j;
        }
        return sb.toString();
    }

    private static String pad(String s, String width) {
        if (width.isEmpty() || !width.chars().allMatch(Character::isDigit)) {
            return s;
        }
        int w = Integer.parseInt(width);
        return s.length() >= w ? s : " ".repeat(w - s.length()) + s;
    }

    /** A format spec for numbers: d, f and .Nf, with an optional width; other specs print str(value). */
    private static String spec(Object value, String spec, int line) {
        char type = spec.charAt(spec.length() - 1);
        String body = spec.substring(0, spec.length() - 1);
        if (!isNumber(value) || !(type == 'd' || type == 'f')) {
            return str(value);
        }
        if (type == 'd') {
            return String.format(Locale.ROOT, "%" + body + "d", (long) toDouble(value));
        }
        return String.format(Locale.ROOT, "%" + (body.contains(".") ? body : body + ".6") + "f", toDouble(value));
    }
}
