package io.jlora.quant;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Stores floats straight into a direct buffer's memory, for the CPU dequantization's inner loop: with
 * {@code FloatBuffer.put(index, v)} or a heap array copied in afterwards the 4-bit decode ran at
 * about 60% of this speed (bench/quant). Uses {@code sun.misc.Unsafe} (module jdk.unsupported),
 * whose memory methods JDK 24 and later warn about on first use: there, and wherever Unsafe is
 * missing or the machine is big-endian, {@link #usable} is false and callers take the buffer path.
 * Callers check every index against the buffer's capacity before storing: nothing here does.
 */
final class RawFloatStores {

    private static final sun.misc.Unsafe UNSAFE;
    private static final long ADDRESS;

    static {
        sun.misc.Unsafe unsafe = null;
        long address = -1;
        if (Runtime.version().feature() < 24 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            try {
                Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                unsafe = (sun.misc.Unsafe) f.get(null);
                address = unsafe.objectFieldOffset(Buffer.class.getDeclaredField("address"));
            } catch (ReflectiveOperationException | RuntimeException e) {
                unsafe = null;
            }
        }
        UNSAFE = unsafe;
        ADDRESS = address;
    }

    private RawFloatStores() {}

    /** Whether raw stores may be used on this JVM. */
    static boolean usable() {
        return UNSAFE != null;
    }

    /** Whether raw stores may write {@code out}'s values: usable here, and out a direct buffer in native order. */
    static boolean usableFor(FloatBuffer out) {
        return usable() && out.isDirect() && out.order() == ByteOrder.nativeOrder();
    }

    /** The native address of a direct buffer's element 0 (its position ignored). */
    static long address(FloatBuffer direct) {
        if (!direct.isDirect() || direct.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("raw stores need a direct little-endian buffer");
        }
        return UNSAFE.getLong(direct, ADDRESS);
    }

    static void put(long address, float value) {
        UNSAFE.putFloat(address, value);
    }
}
