package io.jlora.data.jinja;

/** Jinja's undefined value: falsy, empty, printed as nothing; attribute access on it fails. */
final class Undefined {
    final String name;

    Undefined(String name) {
        this.name = name;
    }

    @Override
    public String toString() {
        return "";
    }
}
