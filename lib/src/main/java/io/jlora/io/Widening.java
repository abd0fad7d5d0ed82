package io.jlora.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Element conversions done in Java for the types DJL's PyTorch engine cannot take (see
 * {@link SafetensorsDtype}). Inputs are little-endian file bytes; outputs go to a direct buffer in
 * native order, ready for {@code NDManager.create}.
 */
final class Widening {

    /** Elements per bulk copy: heap-array bulk transfers are several times faster than per-element buffer access. */
    private static final int CHUNK = 1 << 16;

    private Widening() {}

    /** Widens all of {@code src} (of type {@code dtype}) into {@code dst} from its start. */
    static void widen(SafetensorsDtype dtype, ByteBuffer src, ByteBuffer dst) {
        ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = dst.duplicate().order(ByteOrder.nativeOrder());
        switch (dtype) {
            case BF16 -> shortsToInts(in.asShortBuffer(), out.asIntBuffer(), true);
            case I16 -> shortsToInts(in.asShortBuffer(), out.asIntBuffer(), false);
            case U16 -> unsignedShortsToInts(in.asShortBuffer(), out.asIntBuffer());
            case U32 -> unsignedIntsToLongs(in.asIntBuffer(), out.asLongBuffer());
            default -> throw new IllegalArgumentException(dtype + " needs no widening");
        }
    }

    /**
     * bfloat16 is the upper half of a float32, so shifting its bits left by 16 is exact; int16 is
     * sign-extended.
     */
    private static void shortsToInts(ShortBuffer in, IntBuffer out, boolean bf16) {
        short[] s = new short[Math.min(CHUNK, in.remaining())];
        int[] w = new int[s.length];
        while (in.hasRemaining()) {
            int count = Math.min(s.length, in.remaining());
            in.get(s, 0, count);
            if (bf16) {
                for (int i = 0; i < count; i++) {
                    w[i] = (s[i] & 0xFFFF) << 16;
                }
            } else {
                for (int i = 0; i < count; i++) {
                    w[i] = s[i];
                }
            }
            out.put(w, 0, count);
        }
    }

    private static void unsignedShortsToInts(ShortBuffer in, IntBuffer out) {
        while (in.hasRemaining()) {
            out.put(in.get() & 0xFFFF);
        }
    }

    private static void unsignedIntsToLongs(IntBuffer in, LongBuffer out) {
        while (in.hasRemaining()) {
            out.put(in.get() & 0xFFFFFFFFL);
        }
    }
}
