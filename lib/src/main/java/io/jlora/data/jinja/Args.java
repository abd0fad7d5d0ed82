package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Call arguments, unevaluated. */
record Args(List<Expr> positional, Map<String, Expr> named) {
    static final Args NONE = new Args(List.of(), Map.of());

    Values eval(Scope s) {
        List<Object> p = new ArrayList<>();
        for (Expr e : positional) {
            p.add(e.eval(s));
        }
        Map<String, Object> n = new LinkedHashMap<>();
        named.forEach((k, e) -> n.put(k, e.eval(s)));
        return new Values(p, n);
    }

    static List<Object> evalAll(List<Expr> items, Scope s) {
        List<Object> out = new ArrayList<>();
        for (Expr e : items) {
            out.add(e.eval(s));
        }
        return out;
    }
}
