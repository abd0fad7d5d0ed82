package io.jlora.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Java views of CPU tensors' memory, to read and write them without copies: DJL's
 * {@code toByteBuffer(true)} returns the tensor's own storage for a contiguous CPU array.
 */
public final class DirectViews {

    private DirectViews() {}

    public static ByteBuffer bytes(NDArray a) {
        requireCpu(a);
        return a.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static FloatBuffer floats(NDArray a) {
        return bytes(a).asFloatBuffer();
    }

    /**
     * A tensor of {@code bytes} in {@code m}, allocated by libtorch and filled through a view. DJL's
     * {@code create(buffer)} would copy a heap buffer into a Java direct buffer that the tensor
     * keeps: memory counted against -XX:MaxDirectMemorySize (by default the heap's -Xmx), which a
     * 7B model's 3.5 GB of 4-bit codes would exhaust under a small heap.
     */
    public static NDArray upload(NDManager m, byte[] bytes, Shape shape, DataType type) {
        if (m.getDevice().isGpu()) {
            return m.create(ByteBuffer.wrap(bytes), shape, type);
        }
        NDArray out = m.create(shape, type);
        bytes(out).put(bytes);
        return out;
    }

    /** As {@link #upload(NDManager, byte[], Shape, DataType)}, for float32 values. */
    public static NDArray upload(NDManager m, float[] values, Shape shape) {
        if (m.getDevice().isGpu()) {
            return m.create(values, shape);
        }
        NDArray out = m.create(shape, DataType.FLOAT32);
        floats(out).put(values);
        return out;
    }

    private static void requireCpu(NDArray a) {
        if (a.getDevice().isGpu()) {
            throw new IllegalArgumentException("a direct view needs a CPU array, not one on " + a.getDevice());
        }
    }
}
