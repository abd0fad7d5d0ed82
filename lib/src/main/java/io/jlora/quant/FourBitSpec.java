package io.jlora.quant;

import io.jlora.JloraException;

/**
 * How a weight is quantized to 4 bits: the data type, the number of consecutive values (in the
 * row-major flattening) that share one absmax, and whether those absmax values are themselves
 * quantized to 8 bits (double quantization: 0.127 bits per weight instead of 0.5).
 */
public record FourBitSpec(FourBitType type, int blockSize, boolean doubleQuant) {

    public static final int DEFAULT_BLOCK_SIZE = 64;
    public static final int MIN_BLOCK_SIZE = 32;
    public static final int MAX_BLOCK_SIZE = 4096;

    public FourBitSpec {
        if (type == null) {
            throw new JloraException("4-bit type missing: nf4 or fp4");
        }
        checkBlockSize(blockSize);
    }

    /** The QLoRA recipe (what {@code --quantization int4} means): NF4, blocks of 64, double quantization. */
    public static FourBitSpec qlora() {
        return new FourBitSpec(FourBitType.NF4, DEFAULT_BLOCK_SIZE, true);
    }

    /** Throws unless {@code blockSize} is one bitsandbytes supports: a power of two from 32 to 4096. */
    public static int checkBlockSize(int blockSize) {
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Integer.bitCount(blockSize) != 1) {
            throw new JloraException("4-bit block size " + blockSize + " is not supported: use a power of two from "
                    + MIN_BLOCK_SIZE + " to " + MAX_BLOCK_SIZE + " (bitsandbytes' sizes; " + DEFAULT_BLOCK_SIZE
                    + " is the default)");
        }
        return blockSize;
    }

    /** Bits of storage per weight, absmax state included (packed codes are 4). */
    public double bitsPerWeight() {
        double absmaxBits = doubleQuant ? 8.0 / blockSize + 32.0 / (blockSize * (double) NestedAbsmax.BLOCK_SIZE)
                : 32.0 / blockSize;
        return 4 + absmaxBits;
    }
}
