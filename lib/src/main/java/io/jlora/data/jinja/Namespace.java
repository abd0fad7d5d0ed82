package io.jlora.data.jinja;

import java.util.LinkedHashMap;

/** A namespace() object: the one thing a template may change from inside a loop. */
final class Namespace extends LinkedHashMap<String, Object> {}
