package io.jlora.kernel.magic;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The line and cell magics a kernel knows, by name. */
public final class MagicRegistry {
    private final Map<String, LineMagic> lineMagics = new TreeMap<>();
    private final Map<String, CellMagic> cellMagics = new TreeMap<>();

    public synchronized void line(String name, LineMagic magic) {
        lineMagics.put(name, magic);
    }

    public synchronized void cell(String name, CellMagic magic) {
        cellMagics.put(name, magic);
    }

    public synchronized Optional<LineMagic> line(String name) {
        return Optional.ofNullable(lineMagics.get(name));
    }

    public synchronized Optional<CellMagic> cell(String name) {
        return Optional.ofNullable(cellMagics.get(name));
    }

    public synchronized Set<String> lineNames() {
        return new TreeSet<>(lineMagics.keySet());
    }

    public synchronized Set<String> cellNames() {
        return new TreeSet<>(cellMagics.keySet());
    }
}
