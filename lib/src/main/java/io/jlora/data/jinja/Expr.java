package io.jlora.data.jinja;

/** A parsed expression: evaluated against a scope to a Python-like value ({@link Py}). */
interface Expr {
    Object eval(Scope s);
}
