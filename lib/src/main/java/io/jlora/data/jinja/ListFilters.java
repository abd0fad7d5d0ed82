package io.jlora.data.jinja;

import static io.jlora.data.jinja.Access.attribute;
import static io.jlora.data.jinja.Py.isNumber;
import static io.jlora.data.jinja.Py.iterate;
import static io.jlora.data.jinja.Py.order;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.toDouble;
import static io.jlora.data.jinja.Py.truthy;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Jinja's sorting, selecting and aggregating filters: sort, dictsort, select, reject, sum, min, max, round. */
final class ListFilters {
    private ListFilters() {}

    static Object filter(String name, Object v, Values a, int line) {
        switch (name) {
            case "sort": {
                boolean reverse = truthy(a.arg(0, "reverse", false));
                boolean caseSensitive = truthy(a.arg(1, "case_sensitive", false));
                Object attr = a.arg(2, "attribute", null);
                List<Object> out = items(v, line);
                Comparator<Object> by = (x, y) -> order(key(x, attr, caseSensitive, line), key(y, attr, caseSensitive, line),
                        "sort", line);
                out.sort(reverse ? by.reversed() : by); // stable, as Python's sorted
                return out;
            }
            case "dictsort": {
                boolean caseSensitive = truthy(a.arg(0, "case_sensitive", false));
                boolean byValue = "value".equals(a.arg(1, "by", "key"));
                boolean reverse = truthy(a.arg(2, "reverse", false));
                if (!(v instanceof Map<?, ?> m)) {
                    throw new TemplateException("template line " + line + ": dictsort needs a dict", false);
                }
                List<Object> pairs = new ArrayList<>();
                m.forEach((k, o) -> pairs.add(PyTuple.of(k, o)));
                int at = byValue ? 1 : 0;
                Comparator<Object> by = (x, y) -> order(key(((List<?>) x).get(at), null, caseSensitive, line),
                        key(((List<?>) y).get(at), null, caseSensitive, line), "dictsort", line);
                pairs.sort(reverse ? by.reversed() : by);
                return pairs;
            }
            case "select":
            case "reject": {
                List<Object> out = new ArrayList<>();
                for (Object o : iterate(v, line)) {
                    boolean pass = a.positional().isEmpty() ? truthy(o)
                            : Tests.test(str(a.positional().get(0)), o, a.positional().subList(1, a.positional().size()), line);
                    if (pass == name.equals("select")) {
                        out.add(o);
                    }
                }
                return out;
            }
            case "sum": {
                Object attr = a.arg(0, "attribute", null);
                Object total = a.arg(1, "start", 0L);
                for (Object o : iterate(v, line)) {
                    total = Py.arithmetic("+", total, attr == null ? o : attribute(o, str(attr), line), line);
                }
                return total;
            }
            case "min":
            case "max": {
                boolean caseSensitive = truthy(a.arg(0, "case_sensitive", false));
                Object attr = a.arg(1, "attribute", null);
                Object best = null;
                for (Object o : iterate(v, line)) {
                    int c = best == null ? 0 : order(key(o, attr, caseSensitive, line), key(best, attr, caseSensitive, line),
                            name, line);
                    if (best == null || (name.equals("min") ? c < 0 : c > 0)) {
                        best = o;
                    }
                }
                return best == null ? new Undefined(name + " of an empty sequence") : best;
            }
            case "round": {
                long precision = (Long) a.arg(0, "precision", 0L);
                String method = str(a.arg(1, "method", "common"));
                if (!isNumber(v)) {
                    break;
                }
                if (v instanceof Long && method.equals("common")) {
                    return v; // Python's round(int, n) stays an int
                }
                RoundingMode mode = switch (method) {
                    case "ceil" -> RoundingMode.CEILING;
                    case "floor" -> RoundingMode.FLOOR;
                    default -> RoundingMode.HALF_EVEN; // "common" is Python's round(): the exact double, ties to even
                };
                return new BigDecimal(toDouble(v)).setScale((int) precision, mode).doubleValue();
            }
            default:
                throw new TemplateException("template line " + line + ": filter '" + name
                        + "' is not supported by jlora's template subset", false);
        }
        throw new TemplateException("template line " + line + ": filter '" + name + "' cannot take " + Py.typeName(v), false);
    }

    private static List<Object> items(Object v, int line) {
        List<Object> out = new ArrayList<>();
        iterate(v, line).forEach(out::add);
        return out;
    }

    /** The sort key: the item or its attribute, lower-cased unless case-sensitive (Jinja's ignore_case). */
    private static Object key(Object o, Object attr, boolean caseSensitive, int line) {
        Object k = attr == null ? o : attribute(o, str(attr), line);
        return !caseSensitive && k instanceof String s ? s.toLowerCase(java.util.Locale.ROOT) : k;
    }
}
