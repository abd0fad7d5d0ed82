package io.jlora.model.autograd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Inverted dropout ({@code x * mask / (1 - p)}, as torch's) whose keep/drop mask is drawn in Java.
 *
 * <p>Why not libtorch's dropout: on CPU it draws its Bernoulli noise through a single-threaded
 * Mersenne Twister loop (libtorch takes its parallel MKL path on Intel processors only), which
 * profiling showed as a tenth of a LoRA training step's wall time on two cores with dropout on
 * all seven projections. Here 32 random bits decide each element, two from one
 * {@link SplittableRandom} draw, packed eight to a long: a few times faster, and the arithmetic
 * on x stays in libtorch (one cast of the 0/1 bytes and one multiply).
 *
 * <p>The draws come from a per-thread stream that {@link #seed} resets: a trainer seeds it before
 * each layer in the forward pass and again before that layer's recomputation, so both see the
 * same masks (as torch.utils.checkpoint restores the RNG state). Keep probability 1 - p is exact
 * to 2^-32.
 */
public final class DropoutMasks {

    private static final ThreadLocal<Stream> STREAM = ThreadLocal.withInitial(Stream::new);

    private DropoutMasks() {}

    /** Restarts this thread's mask stream from {@code seed}. */
    public static void seed(long seed) {
        STREAM.get().random = new SplittableRandom(seed);
    }

    /**
     * {@code x} with each element zeroed with probability {@code p} and the rest scaled by
     * 1 / (1 - p); x itself when p is 0. The result is in x's manager; the mask, owned by libtorch,
     * is what autograd keeps for the backward pass.
     */
    public static NDArray apply(NDArray x, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), not " + p);
        }
        if (p == 0) {
            return x;
        }
        NDManager m = x.getManager();
        Shape shape = x.getShape();
        ByteBuffer bits = STREAM.get().draw(shape.size(), 1 - p);
        NDArray mask;
        // a libtorch copy of the bytes, which owns its memory (the view over the reused Java buffer is
        // closed at once, before the next draw overwrites it). Kept as 0/1 bytes: x * mask promotes to
        // x's type, and autograd keeps the byte mask (a quarter of a float mask) for the backward pass
        try (NDArray bytes = m.create(bits, shape, DataType.UINT8)) {
            mask = bytes.duplicate();
        }
        NDArray kept = x.mul(mask);
        NDArray out = kept.mul(m.full(new Shape(), (float) (1 / (1 - p)), x.getDataType()));
        kept.close();
        mask.close();
        return out;
    }

    /** One thread's random stream and its reusable byte buffer. */
    private static final class Stream {
        SplittableRandom random = new SplittableRandom();
        private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

        /** n bytes, 1 with probability keep, else 0, in a direct buffer ready to read. */
        ByteBuffer draw(long n, double keep) {
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("dropout over " + n + " elements at once");
            }
            int count = (int) n;
            if (buffer.capacity() < count + 8) {
                buffer = ByteBuffer.allocateDirect(count + 8).order(ByteOrder.LITTLE_ENDIAN);
            }
            buffer.clear();
            // an element is kept when its 32 random bits, read unsigned, fall below keep * 2^32
            long threshold = (long) Math.floor(keep * 4294967296.0);
            SplittableRandom r = random;
            for (int done = 0; done < count; done += 8) {
                long packed = 0;
                for (int pair = 0; pair < 4; pair++) {
                    long draw = r.nextLong();
                    long low = (draw & 0xFFFFFFFFL) < threshold ? 1L : 0L;
                    long high = (draw >>> 32) < threshold ? 1L : 0L;
                    packed |= (low | high << 8) << (16 * pair);
                }
                buffer.putLong(packed);
            }
            buffer.flip();
            buffer.limit(count);
            return buffer;
        }
    }
}
