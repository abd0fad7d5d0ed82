package io.jlora.model.autograd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Inverted dropout ({@code x * mask / (1 - p)}, as torch's) whose keep/drop mask is drawn in Java.
 *
 * <p>Why not libtorch's dropout: on CPU it draws its Bernoulli noise through a single-threaded
 * Mersenne Twister loop (libtorch takes its parallel MKL path on Intel processors only), which
 * profiling showed as a tenth of a LoRA training step's wall time on two cores with dropout on
 * all seven projections. Here 32 random bits decide each element, two from one
 * {@link SplittableRandom} draw, packed eight to a long, the rows of a batch in parallel: a few
 * times faster, and the arithmetic on x stays in libtorch (x times the 0/1 bytes, then the scale,
 * which {@link #applyUnscaled} leaves to the caller: LoRA folds it into its own, smaller scale).
 *
 * <p>The draws come from a per-thread stream that {@link #seed} resets: a trainer seeds it before
 * each layer in the forward pass and again before that layer's recomputation, so both see the
 * same masks (as torch.utils.checkpoint restores the RNG state). Each row of the batch (the first
 * dimension) draws from a stream of its own, derived from the seed, the call's number since the
 * seed and the row's position in the whole batch ({@code firstRow} + its index): a member of a
 * data-parallel group that holds rows 4..7 of a batch draws the masks a single process draws for
 * those rows, and a row's masks do not depend on how far it is padded. Keep probability 1 - p is
 * exact to 2^-32.
 */
public final class DropoutMasks {

    /** Elements from which a mask's rows are drawn in parallel (below, forking costs more than it saves). */
    private static final long PARALLEL_FROM = 1 << 16;

    private static final ThreadLocal<Stream> STREAM = ThreadLocal.withInitial(Stream::new);

    private DropoutMasks() {}

    /** Restarts this thread's mask streams from {@code seed}, for a batch whose first row is row 0. */
    public static void seed(long seed) {
        seed(seed, 0);
    }

    /** Restarts this thread's mask streams from {@code seed}, for rows numbered from {@code firstRow}. */
    public static void seed(long seed, long firstRow) {
        Stream s = STREAM.get();
        s.seed = seed;
        s.firstRow = firstRow;
        s.calls = 0;
    }

    /**
     * {@code x} with each element zeroed with probability {@code p} and the rest scaled by
     * 1 / (1 - p); x itself when p is 0. The result is in x's manager; the mask, owned by libtorch,
     * is what autograd keeps for the backward pass.
     */
    public static NDArray apply(NDArray x, double p) {
        NDArray kept = applyUnscaled(x, p);
        if (p == 0) {
            return kept;
        }
        NDArray out = kept.mul(x.getManager().full(new Shape(), (float) (1 / (1 - p)), x.getDataType()));
        kept.close();
        return out;
    }

    /**
     * {@code x} times the mask alone (the kept elements unscaled), for a caller that folds the
     * 1 / (1 - p) into a later, smaller multiplication; the same draw as {@link #apply}.
     */
    public static NDArray applyUnscaled(NDArray x, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), not " + p);
        }
        if (p == 0) {
            return x;
        }
        NDManager m = x.getManager();
        Shape shape = x.getShape();
        ByteBuffer bits = STREAM.get().draw(shape, 1 - p);
        NDArray mask;
        // a libtorch copy of the bytes, which owns its memory (the view over the reused Java buffer is
        // closed at once, before the next draw overwrites it). Kept as 0/1 bytes: x * mask promotes to
        // x's type, and autograd keeps the byte mask (a quarter of a float mask) for the backward pass
        try (NDArray bytes = m.create(bits, shape, DataType.UINT8)) {
            mask = bytes.duplicate();
        }
        NDArray kept = x.mul(mask);
        mask.close();
        return kept;
    }

    /** One thread's seed, call count and reusable byte buffer. */
    private static final class Stream {
        long seed = new SplittableRandom().nextLong();
        long firstRow;
        long calls;
        private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

        /** shape's bytes, 1 with probability keep, else 0, in a direct buffer ready to read. */
        ByteBuffer draw(Shape shape, double keep) {
            long n = shape.size();
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("dropout over " + n + " elements at once");
            }
            int rows = Math.toIntExact(shape.dimension() > 1 ? shape.get(0) : 1);
            int perRow = (int) (n / Math.max(1, rows));
            if (buffer.capacity() < (int) n) {
                buffer = ByteBuffer.allocateDirect((int) n).order(ByteOrder.LITTLE_ENDIAN);
            }
            ByteBuffer out = buffer.clear();
            // an element is kept when its 32 random bits, read unsigned, fall below keep * 2^32
            long threshold = (long) Math.floor(keep * 4294967296.0);
            long call = calls++;
            // rows draw from streams of their own, so they may be filled in parallel (absolute writes);
            // SplittableRandom mixes its state on every draw, odd multipliers keep the streams apart
            IntStream each = IntStream.range(0, rows);
            if (rows > 1 && n >= PARALLEL_FROM) {
                each = each.parallel();
            }
            each.forEach(row -> drawRow(out, row * perRow, perRow, new SplittableRandom(seed
                    ^ Long.rotateLeft(call * 0x9E3779B97F4A7C15L, 17) ^ (firstRow + row) * 0xC2B2AE3D27D4EB4FL),
                    threshold));
            out.position(0);
            out.limit((int) n);
            return out;
        }

        /** Fills {@code count} bytes from {@code start}, eight a draw group (four 64-bit draws). */
        private static void drawRow(ByteBuffer out, int start, int count, SplittableRandom r, long threshold) {
            for (int done = 0; done < count; done += 8) {
                long packed = 0;
                for (int pair = 0; pair < 4; pair++) {
                    long draw = r.nextLong();
                    long low = (draw & 0xFFFFFFFFL) < threshold ? 1L : 0L;
                    long high = (draw >>> 32) < threshold ? 1L : 0L;
                    packed |= (low | high << 8) << (16 * pair);
                }
                if (count - done >= 8) {
                    out.putLong(start + done, packed);
                } else {
                    // a row's last group: its draws past the row's end are made and dropped, as before
                    for (int i = 0; i < count - done; i++) {
                        out.put(start + done + i, (byte) (packed >>> (8 * i)));
                    }
                }
            }
        }
    }
}
