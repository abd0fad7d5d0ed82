package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Dequantization of packed 4-bit weights in DJL ops, for any device (the GPU path: the packed
 * bytes never leave the device). DJL has no bitwise ops, so instead of splitting nibbles each
 * packed byte indexes a [256, 2] table holding the values of its high and low nibble: one gather
 * yields the codes in order, one broadcast multiply applies the absmax.
 *
 * <p>Every temporary lives in a sub-manager of {@code target} closed before returning; the result
 * is attached to {@code target}.
 */
public final class DjlFourBitDequantizer {

    private DjlFourBitDequantizer() {}

    /** The [256, 2] table of nibble values for {@code code}, in {@code m}. */
    public static NDArray pairTable(NDManager m, float[] code) {
        return m.create(FourBitDequantizer.pairTable(code), new Shape(256, 2));
    }

    /**
     * The float32 weight of {@code shape} from {@code packed} (uint8, two codes a byte, high nibble
     * first) and {@code blockAbsmax} (float32, one per block), in {@code target}.
     */
    public static NDArray dequantize(NDArray packed, NDArray blockAbsmax, NDArray pairTable, int blockSize, Shape shape,
            NDManager target) {
        long count = shape.size();
        long blocks = blockAbsmax.getShape().size();
        try (NDManager scratch = target.newSubManager(packed.getDevice())) {
            NDArray index = in(scratch, packed.toType(DataType.INT64, false));
            // [bytes, 2] -> row-major codes; DJL puts each result in its first operand's manager
            NDArray values = in(scratch, pairTable.get(index)).reshape(-1);
            NDArray out;
            if (count % blockSize == 0) {
                out = values.reshape(blocks, blockSize).mul(blockAbsmax.reshape(blocks, 1));
            } else {
                // the last block is short (and an odd count leaves a spare nibble): scale per value
                NDArray scale = in(scratch, blockAbsmax.repeat(0, blockSize)).get(new NDIndex("0:{}", count));
                out = values.get(new NDIndex("0:{}", count)).mul(scale);
            }
            out = out.reshape(shape);
            out.attach(target);
            return out;
        }
    }

    /**
     * The absmax values back from double quantization, {@code map[code] * scale + offset}, in
     * {@code target}: codes uint8 [blocks], map [256], scales [ceil(blocks / 256)].
     */
    public static NDArray nestedAbsmax(NDArray codes, NDArray map, NDArray scales, float offset, NDManager target) {
        long blocks = codes.getShape().size();
        try (NDManager scratch = target.newSubManager(codes.getDevice())) {
            NDArray index = in(scratch, codes.toType(DataType.INT64, false));
            NDArray values = in(scratch, map.get(index));
            NDArray scale = in(scratch, scales.repeat(0, NestedAbsmax.BLOCK_SIZE)).get(new NDIndex("0:{}", blocks));
            NDArray out = values.mul(scale).add(offset);
            out.attach(target);
            return out;
        }
    }

    private static NDArray in(NDManager m, NDArray a) {
        a.attach(m);
        return a;
    }
}
