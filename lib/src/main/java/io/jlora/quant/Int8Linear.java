package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.io.DirectViews;
import io.jlora.model.OnDemandWeight;
import io.jlora.model.autograd.ProjectionCuts;
import java.util.function.UnaryOperator;

/**
 * A frozen projection kept as int8 codes with one scale per output row (LLM.int8-style weights;
 * the outlier decomposition of the matmul is not done: activations stay in float). Each forward
 * widens the codes into a float32 weight (two DJL ops, on any device) and closes it after use.
 */
public final class Int8Linear implements OnDemandWeight {

    private final String path;
    private final NDArray codes;
    private final NDArray rowAbsmax;
    private final NDArray rowScale;
    private final NDArray bias;

    /** codes int8 [out, in]; rowAbsmax float32 [out] (bitsandbytes' SCB). */
    public Int8Linear(String path, NDArray codes, NDArray rowAbsmax, NDArray bias) {
        this.path = path;
        this.codes = codes;
        this.rowAbsmax = rowAbsmax;
        float[] absmax = rowAbsmax.toFloatArray();
        float[] scale = new float[absmax.length];
        for (int i = 0; i < absmax.length; i++) {
            scale[i] = PackedInt8.scale(absmax[i]);
        }
        this.rowScale = codes.getManager().create(scale, new Shape(scale.length, 1));
        this.bias = bias;
    }

    /** Quantizes {@code floatWeight} [out, in] on its device, into its manager. */
    public static Int8Linear quantize(String path, NDArray floatWeight, NDArray bias) {
        Shape shape = floatWeight.getShape();
        Int8Quantizer q = new Int8Quantizer(Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)));
        WeightChunks.forEach(floatWeight, Math.toIntExact(shape.get(1)), q::accept);
        return upload(path, q.finish(), bias, floatWeight.getManager());
    }

    public static Int8Linear upload(String path, PackedInt8 q, NDArray bias, NDManager m) {
        NDArray codes = DirectViews.upload(m, q.codes(), new Shape(q.rows(), q.cols()), DataType.INT8);
        return new Int8Linear(path, codes, DirectViews.upload(m, q.rowAbsmax(), new Shape(q.rowAbsmax().length)), bias);
    }

    @Override
    public String path() {
        return path;
    }

    /** int8 [out, in]. */
    public NDArray codes() {
        return codes;
    }

    /** float32 [out]: each row's absmax (bitsandbytes' SCB). */
    public NDArray rowAbsmax() {
        return rowAbsmax;
    }

    /** A float32 copy in the weights' manager, made at each call: close it when done. */
    @Override
    public NDArray weight() {
        return dequantize(codes.getManager());
    }

    @Override
    public NDArray bias() {
        return bias;
    }

    @Override
    public long inFeatures() {
        return codes.getShape().get(1);
    }

    @Override
    public long outFeatures() {
        return codes.getShape().get(0);
    }

    /** A float32 copy in {@code target}. */
    public NDArray dequantize(NDManager target) {
        NDArray w = codes.toType(DataType.FLOAT32, true);
        w.attach(target);
        return w.muli(rowScale);
    }

    @Override
    public NDArray forward(NDArray x) {
        return ProjectionCuts.baseOutput(this, x,
                () -> withWeight(x, w -> ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow()));
    }

    @Override
    public NDArray inputGradient(NDArray outputGradient) {
        return withWeight(outputGradient, outputGradient::matMul);
    }

    /**
     * {@code use} of the float weight in {@code x}'s type, made for this call and closed after it;
     * the result stays in x's manager.
     */
    private NDArray withWeight(NDArray x, UnaryOperator<NDArray> use) {
        try (NDManager scratch = x.getManager().newSubManager()) {
            NDArray w = dequantize(scratch);
            if (x.getDataType() != DataType.FLOAT32) {
                w = w.toType(x.getDataType(), false);
            }
            return use.apply(w);
        }
    }

    @Override
    public String toString() {
        return path + " Int8Linear(" + inFeatures() + " -> " + outFeatures() + (bias != null ? ", bias" : "") + ")";
    }
}
