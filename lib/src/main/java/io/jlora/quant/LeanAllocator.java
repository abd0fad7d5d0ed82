package io.jlora.quant;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.util.Map;

/**
 * glibc's malloc set for memory rather than speed, from the moment a process loads a model stored
 * compact (4-bit, int8 or float16 storage), where memory is the point: a fixed mmap threshold of
 * 128 KiB (which turns off glibc's dynamic one) returns every freed block of that size or more to
 * the system at once, and two arenas give freed memory fewer heaps to sit in. With glibc's defaults
 * freed tensors of up to 32 MiB stay in malloc's heaps, and a QLoRA step's resident peak was 1.6x
 * larger (bench/qmem).
 *
 * <p>Every other job keeps glibc's defaults, which reuse freed blocks: the fixed threshold makes
 * each new tensor of 128 KiB or more fault its pages in anew, which cost a 1B LoRA step a quarter
 * of its time and a small model's training half of it (bench/train). Choosing here, when the model
 * is loaded, rather than in a launcher's environment lets one kernel or JShell serve both kinds.
 * A user's own MALLOC_* or GLIBC_TUNABLES setting is left alone.
 */
public final class LeanAllocator {

    /** mallopt's parameters (glibc's malloc.h). */
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int M_ARENA_MAX = -8;

    static final int MMAP_THRESHOLD_BYTES = 128 * 1024;
    static final int ARENAS = 2;

    private static boolean applied;

    private interface GlibcMalloc extends Library {
        int mallopt(int param, int value);
    }

    private LeanAllocator() {}

    /**
     * Sets it for the rest of the process (again: nothing); false where it does not apply: not
     * Linux with glibc, or the environment chose malloc's settings already.
     */
    public static synchronized boolean apply() {
        if (applied) {
            return true;
        }
        if (!Platform.isLinux() || userChose(System.getenv())) {
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

    /** Whether {@link #apply} has set it in this process. */
    public static synchronized boolean applied() {
        return applied;
    }

    static boolean userChose(Map<String, String> env) {
        return env.containsKey("MALLOC_MMAP_THRESHOLD_") || env.containsKey("MALLOC_ARENA_MAX")
                || env.getOrDefault("GLIBC_TUNABLES", "").contains("glibc.malloc.");
    }
}
