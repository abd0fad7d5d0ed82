package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Java views of CPU tensors' memory, to read and write them without copies: DJL's
 * {@code toByteBuffer(true)} returns the tensor's own storage for a contiguous CPU array.
 */
final class DirectViews {

    private DirectViews() {}

    static ByteBuffer bytes(NDArray a) {
        requireCpu(a);
        return a.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
    }

    static FloatBuffer floats(NDArray a) {
        return bytes(a).asFloatBuffer();
    }

    private static void requireCpu(NDArray a) {
        if (a.getDevice().isGpu()) {
            throw new IllegalArgumentException("a direct view needs a CPU array, not one on " + a.getDevice());
        }
    }
}
