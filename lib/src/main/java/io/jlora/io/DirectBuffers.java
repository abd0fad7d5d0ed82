package io.jlora.io;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees mapped and direct buffers now instead of at some later garbage collection.
 *
 * <p>Loading maps and widens one tensor at a time; if each of those buffers waited for the GC, all
 * of them could be resident at once and a loaded model would briefly cost twice its size. JDK 17
 * has no public unmap, so this uses {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported,
 * exported to everyone) and silently falls back to the GC if it is unavailable.
 */
final class DirectBuffers {

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private DirectBuffers() {}

    /**
     * Releases {@code buffer}'s memory or mapping. The caller guarantees that nothing (no NDArray
     * made from it) reads the buffer afterwards: a read after release crashes the JVM.
     * {@code buffer} must be the buffer that map/allocateDirect returned, not a slice of it.
     */
    static void release(ByteBuffer buffer) {
        if (buffer == null || !buffer.isDirect() || INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a slice or a duplicate: left to the GC
        }
    }
}
