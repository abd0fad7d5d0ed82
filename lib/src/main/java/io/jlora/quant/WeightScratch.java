package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One float32 buffer that a model's quantized projections share for their transient weights. A
 * weight dequantized into fresh memory pays a page fault per 4 KiB written (with the 128 KiB mmap
 * threshold bin/jlora sets, every large tensor is a fresh map): on a 4096x4096 weight that made the
 * Java dequantization 2.6x slower than writing into memory already touched (bench/quant). Users
 * take a block of rows at a time (about {@link #blockBytes}); the buffer grows to the largest block
 * asked for and lives as long as the model's manager.
 *
 * <p>Only for a weight that no autograd graph can keep: its user leases a view, computes with
 * recording off, and releases it. A second lease while one is out (another thread) gets null and
 * allocates as before.
 */
final class WeightScratch {

    /**
     * The default size: 16 MiB of float32, a quarter of a 1B model's MLP weight; a larger weight is
     * dequantized and multiplied a block of rows at a time.
     */
    static final long DEFAULT_BLOCK_BYTES = 16L << 20;

    private final long blockBytes;
    private NDArray buffer;
    private boolean leased;

    WeightScratch() {
        this(DEFAULT_BLOCK_BYTES);
    }

    WeightScratch(long blockBytes) {
        this.blockBytes = blockBytes;
    }

    /** The most float32 bytes one block of rows should take (a block of one row may take more). */
    long blockBytes() {
        return blockBytes;
    }

    /**
     * A float32 view of the buffer's first {@code size} values, owned by {@code target} (reshape
     * prefixes of it for blocks; {@link #release} when done), or null when the buffer is leased
     * already or the device is not the CPU. The buffer lives in {@code owner}, the model's manager.
     */
    synchronized NDArray lease(long size, NDManager owner, NDManager target) {
        // a Java view spans at most 2 GiB; such a block goes through fresh memory
        if (leased || owner.getDevice().isGpu() || 4 * size > Integer.MAX_VALUE) {
            return null;
        }
        if (buffer == null || buffer.isReleased() || buffer.size() < size) {
            if (buffer != null && !buffer.isReleased()) {
                buffer.close();
            }
            buffer = owner.create(new Shape(size), DataType.FLOAT32);
        }
        NDArray view = buffer.get(new NDIndex("0:{}", size));
        view.attach(target);
        leased = true;
        return view;
    }

    synchronized void release() {
        leased = false;
    }
}
