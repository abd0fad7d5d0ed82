package io.jlora.model;

import io.jlora.io.Bfloat16;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.StreamedTensor;
import io.jlora.io.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.SplittableRandom;

/**
 * A tensor of seeded uniform noise around a centre, generated while it is written: a model of
 * any size can be produced without ever holding a whole tensor in memory.
 */
final class RandomTensor extends StreamedTensor {

    private static final int CHUNK_ELEMENTS = 1 << 18;

    private final long seed;
    private final float centre;
    private final float halfWidth;

    /** Values uniform in [centre - halfWidth, centre + halfWidth], as F32 or BF16. */
    RandomTensor(SafetensorsDtype dtype, long[] shape, long seed, float centre, float halfWidth) {
        super(checked(dtype), shape);
        this.seed = seed;
        this.centre = centre;
        this.halfWidth = halfWidth;
    }

    private static SafetensorsDtype checked(SafetensorsDtype dtype) {
        if (dtype != SafetensorsDtype.F32 && dtype != SafetensorsDtype.BF16) {
            throw new IllegalArgumentException("random weights are F32 or BF16, not " + dtype);
        }
        return dtype;
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
        long n = 1;
        for (long d : shape()) {
            n *= d;
        }
        SplittableRandom random = new SplittableRandom(seed);
        SafetensorsDtype dtype = dtype();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_ELEMENTS * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (long done = 0; done < n; ) {
            int count = (int) Math.min(CHUNK_ELEMENTS, n - done);
            buf.clear();
            for (int i = 0; i < count; i++) {
                float v = centre + (float) (random.nextDouble() * 2 - 1) * halfWidth;
                if (dtype == SafetensorsDtype.F32) {
                    buf.putFloat(v);
                } else {
                    buf.putShort(Bfloat16.round(v));
                }
            }
            buf.flip();
            TensorData.writeAll(out, buf);
            done += count;
        }
    }
}
