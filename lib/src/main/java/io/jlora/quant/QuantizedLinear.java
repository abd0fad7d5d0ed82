package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.jlora.model.ChunkedLinear;
import io.jlora.model.autograd.GradRecording;
import io.jlora.model.OnDemandWeight;
import io.jlora.model.autograd.ProjectionCuts;
import java.util.concurrent.atomic.LongAdder;

/**
 * A frozen projection whose weight is kept 4-bit ({@link FourBitWeight}): each forward
 * dequantizes it into float32 (the compute type), multiplies, and closes the float copy, so that
 * between forwards only the packed bytes are resident.
 *
 * <p>Under autograd a plain matmul would make torch keep each dequantized weight until the backward
 * pass (it needs W for dL/dx). Training therefore runs inside {@link ProjectionCuts}, which takes
 * this projection out of the graph and asks it for dL/dx = dL/dy W ({@link #inputGradient}),
 * dequantizing again, as bitsandbytes' MatMul4Bit does in its backward. The weight itself never
 * requires a gradient.
 *
 * <p>With recording off (inference, the first pass of checkpointed training, inside the cuts) the
 * float weight is written a block of rows at a time into a buffer shared by the model's projections
 * ({@link WeightScratch}), not into fresh memory.
 */
public final class QuantizedLinear implements OnDemandWeight {

    /**
     * Float weights made while recording gradients, which a graph may keep until its backward pass
     * (tests: a checkpointed training step makes none).
     */
    static final LongAdder MADE_FOR_A_GRAPH = new LongAdder();

    private final String path;
    private final FourBitWeight weight;
    private final NDArray bias;
    private final WeightScratch scratch;

    public QuantizedLinear(String path, FourBitWeight weight, NDArray bias) {
        this(path, weight, bias, null);
    }

    /** {@code scratch}: shared by the projections of one model, or null (every weight in fresh memory). */
    QuantizedLinear(String path, FourBitWeight weight, NDArray bias, WeightScratch scratch) {
        if (weight.shape().dimension() != 2) {
            throw new IllegalArgumentException(path + ": a linear weight is [out, in], not " + weight.shape());
        }
        this.path = path;
        this.weight = weight;
        this.bias = bias;
        this.scratch = scratch;
    }

    /** Quantizes {@code floatWeight} [out, in] as {@code spec} says, on its device, into its manager. */
    public static QuantizedLinear quantize(String path, NDArray floatWeight, NDArray bias, FourBitSpec spec) {
        return quantize(path, floatWeight, bias, spec, null);
    }

    static QuantizedLinear quantize(String path, NDArray floatWeight, NDArray bias, FourBitSpec spec,
            WeightScratch scratch) {
        FourBitQuantizer q = new FourBitQuantizer(spec, floatWeight.getShape().getShape());
        WeightChunks.forEach(floatWeight, spec.blockSize(), q::accept);
        return new QuantizedLinear(path, FourBitWeight.upload(q.finish(), floatWeight.getManager()), bias, scratch);
    }

    @Override
    public String path() {
        return path;
    }

    /** The packed weight and its quantization state. */
    public FourBitWeight quantized() {
        return weight;
    }

    /**
     * A dequantized float32 copy, made anew at each call (out x in x 4 bytes, one dequantization)
     * in the weights' manager: close it when done, or it lives as long as the model.
     */
    @Override
    public NDArray weight() {
        return weight.dequantize(weight.packed().getManager());
    }

    @Override
    public NDArray bias() {
        return bias;
    }

    @Override
    public long inFeatures() {
        return weight.shape().get(1);
    }

    @Override
    public long outFeatures() {
        return weight.shape().get(0);
    }

    @Override
    public NDArray forward(NDArray x) {
        return ProjectionCuts.baseOutput(this, x, () -> withRows(x.getDataType(), x.getManager(),
                (rows, step) -> ChunkedLinear.forward(x, rows, bias, outFeatures(), step)));
    }

    @Override
    public NDArray inputGradient(NDArray outputGradient) {
        return withRows(outputGradient.getDataType(), outputGradient.getManager(),
                (rows, step) -> ChunkedLinear.inputGradient(outputGradient, rows, outFeatures(), step));
    }

    /** A computation over the float weight given a block of {@code step} rows at a time. */
    private interface ByRows {
        NDArray apply(ChunkedLinear.WeightRows rows, long step);
    }

    /**
     * Runs {@code use} over the float weight in {@code type}. With recording off (nothing can keep
     * it) and the model's shared buffer free, a block of rows at a time is dequantized into that
     * buffer (memory already touched, reused by every projection); else the whole weight is
     * dequantized once into fresh memory, which a graph may keep.
     */
    private NDArray withRows(DataType type, NDManager owner, ByRows use) {
        long out = outFeatures();
        long in = inFeatures();
        boolean recording = GradRecording.isOn();
        long step = scratch == null ? out : Math.min(out, rowsPerBlock(in, weight.spec().blockSize(), scratch.blockBytes()));
        try (NDManager temp = owner.newSubManager()) {
            NDArray buffer = recording || scratch == null ? null
                    : scratch.lease(step * in, weight.packed().getManager(), temp);
            if (buffer == null) {
                if (recording) {
                    MADE_FOR_A_GRAPH.increment();
                }
                NDArray whole = typed(weight.dequantize(temp), type);
                return use.apply((from, to, m) -> whole, out);
            }
            try {
                float[] absmax = weight.blockAbsmax();
                return use.apply((from, to, m) -> {
                    NDArray rows = owned(m, owned(m, buffer.get(new NDIndex("0:{}", (to - from) * in))).reshape(to - from, in));
                    weight.dequantizeRowsInto(rows, from, to, absmax);
                    return typed(rows, type);
                }, step);
            } finally {
                scratch.release();
            }
        }
    }

    /**
     * Rows per block: within {@code blockBytes} of float32, and a multiple of the rows whose values
     * fill whole quantization blocks, so that every block of rows starts on a quantization block.
     */
    static long rowsPerBlock(long columns, int blockSize, long blockBytes) {
        long unit = blockSize / gcd(columns, blockSize);
        return Math.max(unit, blockBytes / (4 * columns) / unit * unit);
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    private static NDArray owned(NDManager m, NDArray a) {
        a.attach(m);
        return a;
    }

    private static NDArray typed(NDArray w, DataType type) {
        return w.getDataType() == type ? w : w.toType(type, false);
    }

    @Override
    public String toString() {
        return path + " QuantizedLinear(" + inFeatures() + " -> " + outFeatures() + ", " + weight
                + (bias != null ? ", bias" : "") + ")";
    }
}
