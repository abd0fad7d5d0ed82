package io.jlora.quant;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.util.Map;

/**
 * The process's malloc set for memory rather than speed, from the moment it loads a model stored
 * compact (4-bit, int8 or float16 storage), where memory is the point.
 *
 * <p>Under glibc's malloc: a fixed mmap threshold of 128 KiB (which turns off glibc's dynamic one)
 * returns every freed block of that size or more to the system at once, and two arenas give freed
 * memory fewer heaps to sit in. With glibc's defaults freed tensors of up to 32 MiB stay in malloc's
 * heaps, and a QLoRA step's resident peak was 1.6x larger (bench/qmem). Every other job keeps glibc's
 * defaults: the fixed threshold makes each new tensor of 128 KiB or more fault its pages in anew,
 * which cost a 1B LoRA step a quarter of its time (bench/train). Choosing here, when the model is
 * loaded, rather than in a launcher's environment lets one kernel or JShell serve both kinds. A
 * user's own MALLOC_* or GLIBC_TUNABLES setting is left alone.
 *
 * <p>Under tcmalloc, which jlora's launchers and kernelspec preload where it is installed
 * (bin/lib/jvm-env.sh), there is nothing to set: it reuses freed memory without glibc's heap growth.
 * What the loader freed (each weight's float copy while quantizing) is handed back once the model is
 * in ({@link #releaseFreeMemory}), so that it does not sit beside the step's peak.
 */
public final class LeanAllocator {

    /** mallopt's parameters (glibc's malloc.h). */
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int M_ARENA_MAX = -8;

    static final int MMAP_THRESHOLD_BYTES = 128 * 1024;
    static final int ARENAS = 2;

    /** tcmalloc's C entry point that returns its free pages to the system (malloc_extension_c.h). */
    static final String TCMALLOC_RELEASE = "MallocExtension_ReleaseFreeMemory";

    private static boolean applied;

    private interface GlibcMalloc extends Library {
        int mallopt(int param, int value);

        int malloc_trim(long pad);
    }

    private LeanAllocator() {}

    /**
     * Sets glibc's malloc lean for the rest of the process (again: nothing); false where it does not
     * apply: not Linux with glibc's malloc (tcmalloc preloaded, another libc), or the environment chose
     * malloc's settings already.
     */
    public static synchronized boolean apply() {
        if (applied) {
            return true;
        }
        if (!Platform.isLinux() || userChose(System.getenv()) || tcmallocLoaded()) {
            return false;
        }
        try {
            GlibcMalloc c = Native.load("c", GlibcMalloc.class);
            applied = c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 & c.mallopt(M_ARENA_MAX, ARENAS) == 1;
        } catch (LinkageError notGlibc) {
            applied = false;
        }
        return applied;
    }

    /** Whether {@link #apply} has set glibc's malloc in this process. */
    public static synchronized boolean applied() {
        return applied;
    }

    /**
     * Hands the memory malloc holds free back to the system: tcmalloc's free pages, or glibc's heap
     * tops (malloc_trim). True where one of them ran.
     */
    public static boolean releaseFreeMemory() {
        if (!Platform.isLinux()) {
            return false;
        }
        Function release = tcmallocRelease();
        if (release != null) {
            release.invokeVoid(new Object[0]);
            return true;
        }
        try {
            Native.load("c", GlibcMalloc.class).malloc_trim(0);
            return true;
        } catch (LinkageError notGlibc) {
            return false;
        }
    }

    /** Whether the process runs tcmalloc (its release entry point is among the loaded symbols). */
    public static boolean tcmallocLoaded() {
        return tcmallocRelease() != null;
    }

    private static Function tcmallocRelease() {
        try {
            return NativeLibrary.getProcess().getFunction(TCMALLOC_RELEASE);
        } catch (UnsatisfiedLinkError absent) {
            return null;
        }
    }

    static boolean userChose(Map<String, String> env) {
        return env.containsKey("MALLOC_MMAP_THRESHOLD_") || env.containsKey("MALLOC_ARENA_MAX")
                || env.getOrDefault("GLIBC_TUNABLES", "").contains("glibc.malloc.");
    }
}
