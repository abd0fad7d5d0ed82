package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import static io.jlora.data.jinja.Access.attribute;
import static io.jlora.data.jinja.Py.equal;
import static io.jlora.data.jinja.Py.isNumber;
import static io.jlora.data.jinja.Py.iterate;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.toDouble;
import static io.jlora.data.jinja.Py.truthy;
import static io.jlora.data.jinja.Py.typeName;
import static io.jlora.data.jinja.PyStrings.strip;
import static io.jlora.data.jinja.PyStrings.title;

/** Jinja's filters that chat templates use ({@code x|trim}, {@code x|tojson}, ...). */
final class Filters {
    private Filters() {}

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
                return jinjaTitle(str(v));
            case "capitalize":
                return PyStrings.capitalize(str(v));
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
                Collections.reverse(l);
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
                if (v instanceof Long l) {
                    return Math.abs(l); // not in one ?: with the double case, which would widen it
                }
                return Math.abs(toDouble(v));
            case "tojson":
                return Json.toJson(v, a, line);
            case "items":
                if (v instanceof Map<?, ?> m) {
                    return Methods.method(m, "items", a, line);
                }
                break;
            case "replace":
                return Methods.method(str(v), "replace", a, line);
            case "selectattr":
            case "rejectattr": {
                String attr = str(a.arg(0, "attr", ""));
                List<Object> out = new ArrayList<>();
                for (Object o : iterate(v, line)) {
                    Object value = attribute(o, attr, line);
                    boolean pass;
                    if (a.positional().size() > 1) {
                        String test = str(a.positional().get(1));
                        pass = Tests.test(test, value, a.positional().subList(2, a.positional().size()), line);
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
                String pad = " ".repeat(Limits.checkSize(width, line));
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
                return ListFilters.filter(name, v, a, line);
        }
        throw new TemplateException("template line " + line + ": filter '" + name + "' cannot take " + typeName(v),
                false);
    }

    /** Jinja's title filter (not str.title): each word after - ( { [ < or whitespace gets an upper first letter. */
    private static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder();
        boolean start = true;
        for (int k = 0; k < s.length(); ) {
            int c = s.codePointAt(k);
            k += Character.charCount(c);
            boolean boundary = PyStrings.isSpace(c) || "-({[<".indexOf(c) >= 0;
            sb.appendCodePoint(boundary ? c : start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = boundary;
        }
        return sb.toString();
    }
}
