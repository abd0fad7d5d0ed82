package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Python's semantics for the values templates see (None as null, bool, int as Long, float as
 * Double, str, list, dict as Map, {@link Undefined}): truthiness, str() and repr(), equality,
 * comparison, {@code in}, arithmetic and iteration.
 */
final class Py {
    private Py() {}

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
            return PyFloat.repr(d);
        }
        if (v instanceof String s) {
            return PyFormat.reprString(s);
        }
        if (v instanceof PyTuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int k = 0; k < t.size(); k++) {
                sb.append(k > 0 ? ", " : "").append(repr(t.get(k)));
            }
            return sb.append(t.size() == 1 ? ",)" : ")").toString();
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

    static Object compareValues(String op, Object a, Object b, int line) {
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
        int c = order(a, b, op, line);
        return switch (op) {
            case "<" -> c < 0;
            case ">" -> c > 0;
            case "<=" -> c <= 0;
            default -> c >= 0;
        };
    }

    /** Python's ordering of two numbers or two strings (by code point, not UTF-16 unit). */
    static int order(Object a, Object b, String op, int line) {
        if (isNumber(a) && isNumber(b)) {
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String x && b instanceof String y) {
            int i = 0;
            int j = 0;
            while (i < x.length() && j < y.length()) {
                int cx = x.codePointAt(i);
                int cy = y.codePointAt(j);
                if (cx != cy) {
                    return Integer.compare(cx, cy);
                }
                i += Character.charCount(cx);
                j += Character.charCount(cy);
            }
            return Boolean.compare(i < x.length(), j < y.length());
        }
        throw new TemplateException("template line " + line + ": cannot compare " + typeName(a) + " " + op + " "
                + typeName(b), false);
    }

    static boolean contains(Object container, Object item, int line) {
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

    static Object arithmetic(String op, Object a, Object b, int line) {
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
        if (op.equals("%") && a instanceof String x) {
            return PyFormat.percent(x, b, line);
        }
        if (op.equals("*")) {
            if (a instanceof String x && b instanceof Long n) {
                return Limits.repeat(x, n, line);
            }
            if (a instanceof Long n && b instanceof String x) {
                return Limits.repeat(x, n, line);
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
                case "**":
                    if (y >= 0) {
                        return java.math.BigInteger.valueOf(x).pow((int) y).longValueExact();
                    }
                    return Math.pow(x, y);
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
            case "**" -> Math.pow(x, y);
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
}
