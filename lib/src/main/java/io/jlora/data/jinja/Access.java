package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import static io.jlora.data.jinja.Py.repr;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.typeName;

/** Attribute and item access, slices, and calls of global functions and bound methods. */
final class Access {
    private Access() {}

    static Object attribute(Object target, String name, int line) {
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

    static Object item(Object target, Object key, int line) {
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

    static Object slice(Object target, Object start, Object stop, Object step, int line) {
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
    record Method(Object self, String name) {}

    /** A global function. */
    interface Function {
        Object call(Values args, int line);
    }

    static Object call(Object callee, Values args, int line) {
        if (callee instanceof Function f) {
            return f.call(args, line);
        }
        if (callee instanceof Method m) {
            return Methods.method(m.self(), m.name(), args, line);
        }
        if (callee instanceof Undefined u) {
            throw new TemplateException("template line " + line + ": '" + u.name
                    + "' is not a function jlora's template subset knows", false);
        }
        throw new TemplateException("template line " + line + ": " + typeName(callee) + " is not callable", false);
    }
}
