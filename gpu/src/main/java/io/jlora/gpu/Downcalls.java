package io.jlora.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * One loaded native library and the method handles bound to its symbols. Loading goes through
 * {@link SymbolLookup#libraryLookup} (dlopen), which reports a missing or broken file as an
 * exception instead of aborting the JVM; both become one-line {@link GpuUnavailableException}s.
 */
final class Downcalls {

    private static final Linker LINKER = Linker.nativeLinker();

    private final String label;
    private final SymbolLookup lookup;

    private Downcalls(String label, SymbolLookup lookup) {
        this.label = label;
        this.lookup = lookup;
    }

    /** Opens a library by soname, through the dynamic loader's own search (ldconfig cache, rpath). */
    static Downcalls bySoname(String soname, Arena arena) {
        return new Downcalls(soname, SymbolLookup.libraryLookup(soname, arena));
    }

    /** Opens a library file. */
    static Downcalls byPath(Path file, Arena arena) {
        return new Downcalls(file.toString(), SymbolLookup.libraryLookup(file, arena));
    }

    /** The downcall handle for {@code name}; a missing symbol means a library older than we need. */
    MethodHandle bind(String name, FunctionDescriptor descriptor) {
        return lookup.find(name).map(addr -> LINKER.downcallHandle(addr, descriptor))
                .orElseThrow(() -> new GpuUnavailableException(label + " has no symbol " + name
                        + " (library too old for jlora-gpu?)"));
    }

    String label() {
        return label;
    }

    /** Rethrows what a downcall may throw as unchecked, keeping CUDA's own exceptions as they are. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
