package io.jlora.quant;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * Blockwise 4-bit quantization as bitsandbytes' {@code quantize_4bit} does it: the row-major
 * flattening is cut into blocks of {@code blockSize}; each block's absmax scales its values into
 * [-1, 1]; each value becomes the index of the nearest code; two indices share a byte, the first in
 * the high nibble. Optionally the absmax values are double-quantized ({@link NestedAbsmax}).
 *
 * <p>Values can arrive in chunks ({@link #accept}), so that a weight larger than one Java buffer
 * (2^31 bytes) can be quantized slice by slice from wherever it lives.
 */
public final class FourBitQuantizer {

    /** Blocks per parallel task: large enough to amortise the fork, small enough to balance. */
    private static final int BLOCKS_PER_TASK = 4096;

    private final FourBitSpec spec;
    private final long[] shape;
    private final long count;
    private final Codebook codebook;
    private final byte[] packed;
    private final float[] absmax;
    private long received;

    public FourBitQuantizer(FourBitSpec spec, long[] shape) {
        this.spec = spec;
        this.shape = shape.clone();
        this.count = PackedFourBit.count(shape);
        this.codebook = new Codebook(spec.type().code());
        this.packed = new byte[Math.toIntExact((count + 1) / 2)];
        this.absmax = new float[Blockwise.blocks(count, spec.blockSize())];
    }

    /** Quantizes a whole weight given row-major. */
    public static PackedFourBit quantize(float[] values, long[] shape, FourBitSpec spec) {
        FourBitQuantizer q = new FourBitQuantizer(spec, shape);
        q.accept(FloatBuffer.wrap(values));
        return q.finish();
    }

    /**
     * The next values in row-major order, from the buffer's position to its limit (absolute reads:
     * the buffer is not moved). Every chunk but the last must hold whole blocks.
     */
    public void accept(FloatBuffer chunk) {
        int length = chunk.remaining();
        int blockSize = spec.blockSize();
        if (received % blockSize != 0) {
            throw new IllegalStateException("a previous chunk ended inside a block");
        }
        if (received + length > count) {
            throw new IllegalArgumentException("more values than the shape holds: " + (received + length) + " > " + count);
        }
        int firstBlock = Math.toIntExact(received / blockSize);
        int chunkBlocks = Blockwise.blocks(length, blockSize);
        int base = chunk.position();
        int tasks = (chunkBlocks + BLOCKS_PER_TASK - 1) / BLOCKS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(t -> {
            int from = t * BLOCKS_PER_TASK;
            int to = Math.min(chunkBlocks, from + BLOCKS_PER_TASK);
            for (int b = from; b < to; b++) {
                quantizeBlock(chunk, base + b * blockSize, Math.min(blockSize, length - b * blockSize), firstBlock + b);
            }
        });
        received += length;
    }

    /** The quantized weight; every value must have been given. */
    public PackedFourBit finish() {
        if (received != count) {
            throw new IllegalStateException("received " + received + " of " + count + " values");
        }
        if (spec.doubleQuant()) {
            return new PackedFourBit(spec, shape, packed, null, NestedAbsmax.quantize(absmax));
        }
        return new PackedFourBit(spec, shape, packed, absmax, null);
    }

    private void quantizeBlock(FloatBuffer in, int start, int length, int block) {
        float max = 0;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, Math.abs(in.get(start + i)));
        }
        absmax[block] = max;
        float divisor = Math.max(max, Blockwise.MIN_ABSMAX);
        long first = (long) block * spec.blockSize();
        for (int i = 0; i < length; i++) {
            int q = codebook.nearest(Blockwise.clampUnit(in.get(start + i) / divisor));
            long at = first + i;
            int byteIndex = (int) (at >>> 1);
            // block sizes are even, so no two blocks (nor two tasks) write the same byte
            packed[byteIndex] = (at & 1) == 0 ? (byte) (q << 4) : (byte) (packed[byteIndex] | q);
        }
    }
}
