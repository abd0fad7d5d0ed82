package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.Bfloat16;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.StreamedTensor;
import io.jlora.io.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.function.Function;

/**
 * A tensor computed only when the writer reaches it, in a manager of its own that is closed right
 * after: streaming a model through a merge holds one tensor (and its temporaries) at a time.
 */
final class LazyTensor extends StreamedTensor {

    /** Elements turned into bytes at once (64 MB of float32). */
    private static final long CHUNK_ELEMENTS = 16L << 20;

    private final NDManager parent;
    private final Function<NDManager, NDArray> compute;

    /**
     * @param parent the manager whose sub-manager each computation gets
     * @param compute makes the tensor (of {@code shape}) in the given manager
     */
    LazyTensor(SafetensorsDtype dtype, long[] shape, NDManager parent, Function<NDManager, NDArray> compute) {
        super(dtype, shape);
        this.parent = parent;
        this.compute = compute;
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
        try (NDManager m = parent.newSubManager()) {
            NDArray array = compute.apply(m);
            long[] shape = shape();
            long rows = shape.length == 0 ? 1 : shape[0];
            long rowElements = Math.max(1, array.size() / Math.max(rows, 1));
            long step = Math.max(1, CHUNK_ELEMENTS / rowElements);
            if (shape.length == 0 || step >= rows) {
                write(array, out);
                return;
            }
            // row blocks: turning an array into bytes copies it to the Java heap, so a whole
            // embedding at once would need a gigabyte of heap
            for (long first = 0; first < rows; first += step) {
                try (NDManager chunk = m.newSubManager()) {
                    NDArray rowsOf = ManagedArrays.own(chunk, array.get(first + ":" + Math.min(rows, first + step)));
                    write(rowsOf, out);
                }
            }
        }
    }

    private void write(NDArray array, WritableByteChannel out) throws IOException {
        if (dtype() == SafetensorsDtype.BF16 && array.getDataType() == DataType.FLOAT32) {
            writeBf16(array.toFloatArray(), out);
        } else {
            TensorData.of(array, dtype()).writeTo(out);
        }
    }

    /** float32 to bfloat16, round to nearest even as torch, with bulk array copies (several times faster). */
    private static void writeBf16(float[] values, WritableByteChannel out) throws IOException {
        short[] halves = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            halves[i] = Bfloat16.round(values[i]);
        }
        ByteBuffer bytes = ByteBuffer.allocate(halves.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asShortBuffer().put(halves);
        TensorData.writeAll(out, bytes);
    }
}
