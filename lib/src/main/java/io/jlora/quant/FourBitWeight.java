package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.io.DirectViews;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * A 4-bit quantized weight held on the model's device, in bitsandbytes' layout: the packed codes
 * (uint8, two a byte) and the absmax state, plain (float32 per block) or double-quantized (uint8
 * per block, float32 per 256 blocks, one offset). Never stored as floats: {@link #dequantize}
 * makes a float32 copy on demand.
 */
public final class FourBitWeight {

    private final FourBitSpec spec;
    private final Shape shape;
    private final NDArray packed;
    private final NDArray absmax;
    private final NDArray nestedCodes;
    private final NDArray nestedScales;
    private final float nestedOffset;
    private final NDArray pairTable;
    private final NDArray nestedMap;

    /**
     * From arrays already on the device. {@code absmax} is float32 per block, or null when
     * {@code nestedCodes}/{@code nestedScales}/{@code nestedOffset} hold it double-quantized.
     */
    public FourBitWeight(FourBitSpec spec, Shape shape, NDArray packed, NDArray absmax, NDArray nestedCodes,
            NDArray nestedScales, float nestedOffset) {
        if (spec.doubleQuant() != (absmax == null) || (absmax == null) == (nestedCodes == null)) {
            throw new IllegalArgumentException("give plain absmax without double quantization, nested codes with it");
        }
        this.spec = spec;
        this.shape = shape;
        this.packed = packed;
        this.absmax = absmax;
        this.nestedCodes = nestedCodes;
        this.nestedScales = nestedScales;
        this.nestedOffset = nestedOffset;
        NDManager m = packed.getManager();
        this.pairTable = DjlFourBitDequantizer.pairTable(m, spec.type().code());
        this.nestedMap = spec.doubleQuant() ? m.create(DynamicMap.signed()) : null;
    }

    /** Copies a quantized weight to {@code m}'s device. */
    public static FourBitWeight upload(PackedFourBit q, NDManager m) {
        Shape shape = new Shape(q.shape());
        NDArray packed = DirectViews.upload(m, q.packed(), new Shape(q.packed().length), DataType.UINT8);
        if (q.nested() == null) {
            return new FourBitWeight(q.spec(), shape, packed, DirectViews.upload(m, q.absmax(), new Shape(q.absmax().length)),
                    null, null, 0f);
        }
        NestedAbsmax n = q.nested();
        NDArray codes = DirectViews.upload(m, n.codes(), new Shape(n.codes().length), DataType.UINT8);
        return new FourBitWeight(q.spec(), shape, packed, null, codes,
                DirectViews.upload(m, n.scales(), new Shape(n.scales().length)), n.offset());
    }

    public FourBitSpec spec() {
        return spec;
    }

    public Shape shape() {
        return shape;
    }

    /** The packed codes, uint8 [ceil(count / 2)]. */
    public NDArray packed() {
        return packed;
    }

    /** float32 absmax per block, or null when double-quantized. */
    public NDArray absmax() {
        return absmax;
    }

    /** uint8 code per block of the double-quantized absmax, or null. */
    public NDArray nestedCodes() {
        return nestedCodes;
    }

    /** float32 scale per 256 blocks of the double-quantized absmax, or null. */
    public NDArray nestedScales() {
        return nestedScales;
    }

    public float nestedOffset() {
        return nestedOffset;
    }

    /** Device memory this weight takes, in bytes (the small code tables aside). */
    public long storageBytes() {
        long bytes = packed.getShape().size();
        if (absmax != null) {
            return bytes + 4 * absmax.getShape().size();
        }
        return bytes + nestedCodes.getShape().size() + 4 * nestedScales.getShape().size() + 4;
    }

    /** A float32 copy in {@code target}, by the faster path for the device. */
    public NDArray dequantize(NDManager target) {
        return dequantize(target, DequantPath.forDevice(packed.getDevice()));
    }

    /** A float32 copy in {@code target}, by the given path (the Java path needs a CPU array). */
    public NDArray dequantize(NDManager target, DequantPath path) {
        // a Java buffer spans at most 2 GiB: a larger float copy goes through the op path
        if (path == DequantPath.DJL_OPS || 4 * shape.size() > Integer.MAX_VALUE) {
            if (absmax != null) {
                return DjlFourBitDequantizer.dequantize(packed, absmax, pairTable, spec.blockSize(), shape, target);
            }
            try (NDManager scratch = target.newSubManager(packed.getDevice())) {
                NDArray blockAbsmax = DjlFourBitDequantizer.nestedAbsmax(nestedCodes, nestedMap, nestedScales,
                        nestedOffset, scratch);
                return DjlFourBitDequantizer.dequantize(packed, blockAbsmax, pairTable, spec.blockSize(), shape, target);
            }
        }
        // libtorch allocates the result; Java writes straight into its memory
        NDArray out = target.create(shape, DataType.FLOAT32);
        FourBitDequantizer.dequantize(DirectViews.bytes(packed), blockAbsmax(), spec.type().code(), spec.blockSize(),
                shape.size(), DirectViews.floats(out));
        return out;
    }

    /**
     * Rows [from, to) dequantized into {@code out}, a contiguous float32 CPU array of that many
     * values, by the Java path; {@code from * columns} must be a multiple of the block size, and
     * {@code absmax} the weight's {@link #blockAbsmax()}.
     */
    public void dequantizeRowsInto(NDArray out, long from, long to, float[] absmax) {
        long columns = shape.get(1);
        long first = from * columns;
        long count = (to - from) * columns;
        if (first % spec.blockSize() != 0 || out.getDataType() != DataType.FLOAT32 || out.size() != count) {
            throw new IllegalArgumentException("rows " + from + ".." + to + " of " + shape + " into " + out.getDataType()
                    + out.getShape());
        }
        ByteBuffer bytes = DirectViews.bytes(packed);
        ByteBuffer rows = bytes.slice(Math.toIntExact(first / 2), Math.toIntExact((count + 1) / 2));
        FourBitDequantizer.dequantize(rows, absmax, Math.toIntExact(first / spec.blockSize()), spec.type().code(),
                spec.blockSize(), count, DirectViews.floats(out));
    }


    /** A Java copy, for saving or inspection. */
    public PackedFourBit toPacked() {
        byte[] bytes = packed.toByteArray();
        long[] dims = shape.getShape();
        if (absmax != null) {
            return new PackedFourBit(spec, dims, bytes, absmax.toFloatArray(), null);
        }
        return new PackedFourBit(spec, dims, bytes, null,
                new NestedAbsmax(nestedCodes.toByteArray(), nestedScales.toFloatArray(), nestedOffset));
    }

    /** The float32 absmax of every block (double quantization undone), for {@link #dequantizeRowsInto}. */
    public float[] blockAbsmax() {
        if (absmax != null) {
            FloatBuffer view = DirectViews.floats(absmax);
            float[] out = new float[view.remaining()];
            view.get(out);
            return out;
        }
        ByteBuffer codesView = DirectViews.bytes(nestedCodes);
        byte[] codes = new byte[codesView.remaining()];
        codesView.get(codes);
        return new NestedAbsmax(codes, nestedScales.toFloatArray(), nestedOffset).dequantize();
    }

    @Override
    public String toString() {
        return spec.type().label() + shape + (spec.doubleQuant() ? " double-quantized" : "") + ", blocks of "
                + spec.blockSize();
    }
}
