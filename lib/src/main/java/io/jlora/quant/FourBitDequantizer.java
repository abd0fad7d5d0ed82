package io.jlora.quant;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * The CPU dequantization of packed 4-bit weights, in plain Java: {@code out[i] = code[q_i] *
 * absmax[i / blockSize]}. Measured faster on the CPU than the same in DJL ops (see
 * {@link DjlFourBitDequantizer} and bench/quant), because it reads each packed byte once and
 * writes each float once, where the op version makes several passes over temporaries.
 *
 * <p>A 256-entry table gives both values of a byte at once, so there is no nibble arithmetic in
 * the loop; chunks are copied between the (direct) buffers and small heap arrays, where C2 compiles
 * the loop without bounds-check or buffer overhead, and the values are stored straight into the
 * output's memory where {@link RawFloatStores} may be used (else copied in from a heap chunk); chunks
 * run in parallel on the common pool.
 */
public final class FourBitDequantizer {

    /** Bytes per chunk: 32 KiB in, 256 KiB out, cache-sized. */
    private static final int CHUNK_BYTES = 1 << 15;

    /**
     * Each worker's chunk arrays, reused: fresh ones per chunk made ~9 bytes of garbage per weight
     * decoded (2 GB per step of a 1B model), and with the small heap a training JVM wants, GC work.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final byte[] in = new byte[CHUNK_BYTES];
        final float[] values = new float[2 * CHUNK_BYTES];
    }

    private FourBitDequantizer() {}

    /**
     * Writes {@code count} dequantized values to {@code out} (from index 0, absolute writes) from
     * {@code packed} (from index 0).
     */
    public static void dequantize(ByteBuffer packed, float[] absmax, float[] code, int blockSize, long count,
            FloatBuffer out) {
        dequantize(packed, absmax, 0, code, blockSize, count, out);
    }

    /**
     * As above from value {@code firstBlock * blockSize} of the weight: {@code packed} starts at that
     * value's byte, {@code absmax} is the whole weight's.
     */
    public static void dequantize(ByteBuffer packed, float[] absmax, int firstBlock, float[] code, int blockSize,
            long count, FloatBuffer out) {
        dequantize(packed, absmax, firstBlock, code, blockSize, count, out, RawFloatStores.usableFor(out));
    }

    /** As above; {@code raw}: values stored straight into out's memory ({@link RawFloatStores}), else through a heap chunk. */
    static void dequantize(ByteBuffer packed, float[] absmax, int firstBlock, float[] code, int blockSize, long count,
            FloatBuffer out, boolean raw) {
        if (count > out.capacity()) {
            throw new IllegalArgumentException("output holds " + out.capacity() + " values, " + count + " needed");
        }
        float[] pairs = pairTable(code);
        int bytes = Math.toIntExact((count + 1) / 2);
        int bytesPerBlock = blockSize / 2;
        int chunkBytes = Math.max(bytesPerBlock, CHUNK_BYTES / bytesPerBlock * bytesPerBlock);
        int chunks = (bytes + chunkBytes - 1) / chunkBytes;
        long outAddress = raw ? RawFloatStores.address(out) : 0;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * chunkBytes;
            int length = Math.min(chunkBytes, bytes - from);
            Scratch scratch = chunkBytes <= CHUNK_BYTES ? SCRATCH.get() : null;
            byte[] in = scratch != null ? scratch.in : new byte[length];
            packed.get(from, in, 0, length);
            int valueCount = (int) Math.min(2L * length, count - 2L * from);
            if (raw) {
                // values [2 * from, 2 * from + valueCount) of out, within count <= capacity (checked above)
                decodeChunkRaw(in, valueCount, outAddress + 8L * from, pairs, absmax, firstBlock + from / bytesPerBlock,
                        bytesPerBlock);
                return;
            }
            float[] values = scratch != null ? scratch.values : new float[2 * length];
            decodeChunk(in, length, values, pairs, absmax, firstBlock + from / bytesPerBlock, bytesPerBlock);
            out.put(2 * from, values, 0, valueCount);
        });
    }

    /** {@code pairs[2b]} and {@code pairs[2b+1]}: the values of byte b's high and low nibble. */
    static float[] pairTable(float[] code) {
        float[] pairs = new float[512];
        for (int b = 0; b < 256; b++) {
            pairs[2 * b] = code[b >>> 4];
            pairs[2 * b + 1] = code[b & 15];
        }
        return pairs;
    }

    /** decodeChunk's values, {@code valueCount} of them (an odd count drops the last low nibble), stored at {@code address}. */
    private static void decodeChunkRaw(byte[] in, int valueCount, long address, float[] pairs, float[] absmax,
            int firstBlock, int bytesPerBlock) {
        int whole = valueCount / 2;
        for (int start = 0, block = firstBlock; start < whole; start += bytesPerBlock, block++) {
            float scale = absmax[block];
            int end = Math.min(whole, start + bytesPerBlock);
            for (int i = start; i < end; i++) {
                int b = (in[i] & 0xFF) << 1;
                RawFloatStores.put(address + 8L * i, pairs[b] * scale);
                RawFloatStores.put(address + 8L * i + 4, pairs[b + 1] * scale);
            }
        }
        if (valueCount % 2 == 1) {
            RawFloatStores.put(address + 8L * whole, pairs[(in[whole] & 0xFF) << 1] * absmax[firstBlock + whole / bytesPerBlock]);
        }
    }

    private static void decodeChunk(byte[] in, int length, float[] out, float[] pairs, float[] absmax, int firstBlock,
            int bytesPerBlock) {
        for (int start = 0, block = firstBlock; start < length; start += bytesPerBlock, block++) {
            float scale = absmax[block];
            int end = Math.min(length, start + bytesPerBlock);
            for (int i = start; i < end; i++) {
                int b = (in[i] & 0xFF) << 1;
                out[2 * i] = pairs[b] * scale;
                out[2 * i + 1] = pairs[b + 1] * scale;
            }
        }
    }
}
