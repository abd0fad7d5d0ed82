package io.jlora.data.jinja;

import java.util.HashMap;
import java.util.Map;

/** Variables of one template level; a loop body gets its own, so plain sets inside do not leak. */
final class Scope {
    final Scope parent;
    final Map<String, Object> vars = new HashMap<>();

    Scope(Scope parent) {
        this.parent = parent;
    }

    Object get(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.vars.containsKey(name)) {
                return s.vars.get(name);
            }
        }
        Object builtin = Globals.global(name);
        return builtin != null ? builtin : new Undefined(name);
    }
}
