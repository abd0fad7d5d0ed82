package io.jlora.data.jinja;

import java.util.List;
import java.util.Map;

/** Evaluated call arguments: positional ones, then keyword ones by name. */
record Values(List<Object> positional, Map<String, Object> named) {
    Object arg(int index, String name, Object fallback) {
        if (index < positional.size()) {
            return positional.get(index);
        }
        return named.getOrDefault(name, fallback);
    }
}
