package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.Collection;

/** A Python tuple: a list to every operation, printed with parentheses ({@code ('a', 1)}, {@code (1,)}). */
final class PyTuple extends ArrayList<Object> {
    PyTuple(Collection<?> items) {
        super(items);
    }

    static PyTuple of(Object... items) {
        return new PyTuple(java.util.Arrays.asList(items));
    }
}
