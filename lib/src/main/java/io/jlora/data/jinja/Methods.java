package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import static io.jlora.data.jinja.Py.iterate;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.typeName;
import static io.jlora.data.jinja.PyStrings.count;
import static io.jlora.data.jinja.PyStrings.split;
import static io.jlora.data.jinja.PyStrings.startsOrEnds;
import static io.jlora.data.jinja.PyStrings.strip;
import static io.jlora.data.jinja.PyStrings.title;

/** The methods of str and dict that templates call ({@code s.strip()}, {@code d.items()}, ...). */
final class Methods {
    private Methods() {}

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
                    return PyStrings.capitalize(s);
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
                case "rsplit":
                    return PyStrings.rsplit(s, a.arg(0, "sep", null), a.arg(1, "maxsplit", -1L));
                case "splitlines":
                    return splitlines(s);
                case "format":
                    return PyFormat.format(s, a, line);
                case "isdigit":
                    return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
                case "isspace":
                    return !s.isEmpty() && s.codePoints().allMatch(PyStrings::isSpace);
                case "removeprefix":
                    return s.startsWith(str(a.arg(0, "prefix", ""))) ? s.substring(str(a.arg(0, "prefix", "")).length()) : s;
                case "removesuffix": {
                    String suffix = str(a.arg(0, "suffix", ""));
                    return !suffix.isEmpty() && s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
                }
                case "rfind":
                    return (long) s.lastIndexOf(str(a.arg(0, "sub", "")));
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
                    m.forEach((k, v) -> out.add(PyTuple.of(k, v)));
                    return out;
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

    /** Python's splitlines(): \n, \r, \r\n and the other line boundaries Python knows. */
    private static List<Object> splitlines(String s) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x85
                    || c == 0x2028 || c == 0x2029) {
                out.add(s.substring(start, k));
                if (c == '\r' && k + 1 < s.length() && s.charAt(k + 1) == '\n') {
                    k++;
                }
                start = k + 1;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }
}
