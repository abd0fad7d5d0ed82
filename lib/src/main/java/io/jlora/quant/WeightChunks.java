package io.jlora.quant;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.DirectViews;
import java.nio.FloatBuffer;
import java.util.function.Consumer;

/**
 * Hands a weight's values to Java in row-major order as float32 buffers, with no copy when the
 * weight is a float32 CPU array (a view of its memory) and in slices of bounded size otherwise
 * (GPU arrays, float16 weights, weights larger than one Java buffer).
 */
final class WeightChunks {

    /** Largest slice copied at once: 64 MiB of float32. */
    private static final long MAX_SLICE = 1L << 24;

    private WeightChunks() {}

    /** Calls {@code sink} with consecutive chunks, each a multiple of {@code alignment} values but the last. */
    static void forEach(NDArray weight, int alignment, Consumer<FloatBuffer> sink) {
        long count = weight.getShape().size();
        if (!weight.getDevice().isGpu() && weight.getDataType() == DataType.FLOAT32 && count * 4 <= Integer.MAX_VALUE) {
            sink.accept(DirectViews.floats(weight));
            return;
        }
        long slice = Math.max(alignment, MAX_SLICE / alignment * alignment);
        try (NDManager scratch = weight.getManager().newSubManager(Device.cpu())) {
            NDArray flat = weight.reshape(-1);
            flat.attach(scratch);
            for (long from = 0; from < count; from += slice) {
                try (NDManager step = scratch.newSubManager(Device.cpu())) {
                    NDArray part = flat.get(new NDIndex("{}:{}", from, Math.min(count, from + slice)));
                    part.attach(step);
                    NDArray onCpu = part.toDevice(Device.cpu(), true).toType(DataType.FLOAT32, true);
                    onCpu.attach(step);
                    sink.accept(DirectViews.floats(onCpu));
                }
            }
        }
    }
}
