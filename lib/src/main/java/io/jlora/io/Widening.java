package io.jlora.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Element conversions done in Java for the types DJL's PyTorch engine cannot take (see
 * {@link SafetensorsDtype}). Inputs are little-endian file bytes; outputs are new direct buffers
 * in native order, ready for {@code NDManager.create}.
 */
final class Widening {

    private Widening() {}

    /** bfloat16 is the upper half of a float32: shifting the bits left by 16 is exact. */
    static ByteBuffer bf16ToF32(ByteBuffer src) {
        ShortBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        int n = in.remaining();
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        IntBuffer o = out.asIntBuffer();
        for (int i = 0; i < n; i++) {
            o.put(i, (in.get(i) & 0xFFFF) << 16);
        }
        return out;
    }

    static ByteBuffer i16ToI32(ByteBuffer src, boolean unsigned) {
        ShortBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        int n = in.remaining();
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        IntBuffer o = out.asIntBuffer();
        for (int i = 0; i < n; i++) {
            short s = in.get(i);
            o.put(i, unsigned ? s & 0xFFFF : s);
        }
        return out;
    }

    static ByteBuffer u32ToI64(ByteBuffer src) {
        IntBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        int n = in.remaining();
        ByteBuffer out = ByteBuffer.allocateDirect(n * 8).order(ByteOrder.nativeOrder());
        LongBuffer o = out.asLongBuffer();
        for (int i = 0; i < n; i++) {
            o.put(i, in.get(i) & 0xFFFFFFFFL);
        }
        return out;
    }

    /** float32 to bfloat16 with round-to-nearest-even, as torch's {@code .to(torch.bfloat16)}. */
    static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
