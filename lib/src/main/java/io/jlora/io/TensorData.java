package io.jlora.io;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * What {@link SafetensorsWriter} writes for one tensor: its type, its shape, and a way to stream
 * its little-endian bytes. Streaming lets a caller write weights it generates or converts one
 * tensor at a time, never holding a whole model twice.
 */
public interface TensorData {

    SafetensorsDtype dtype();

    long[] shape();

    /** Writes exactly {@code elementCount * dtype().bytes()} bytes. */
    void writeTo(WritableByteChannel out) throws IOException;

    /** An array written in its own type. */
    static TensorData of(NDArray array) {
        return of(array, SafetensorsDtype.of(array.getDataType()));
    }

    /**
     * An array written as {@code as}: float32 arrays can be stored as BF16 (rounded to nearest
     * even in Java, because DJL's engine cannot hold bfloat16) or F16 (converted by torch).
     */
    static TensorData of(NDArray array, SafetensorsDtype as) {
        long[] shape = array.getShape().getShape();
        return new StreamedTensor(as, shape) {
            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                if (as == SafetensorsDtype.BF16) {
                    writeBf16(array, out);
                    return;
                }
                DataType type = as.loadedAs();
                if (type == null || !as.isNative()) {
                    throw new IllegalArgumentException("cannot write an array as " + as);
                }
                NDArray onCpu = array.toDevice(Device.cpu(), false);
                NDArray typed = onCpu.toType(type, false);
                try {
                    writeAll(out, typed.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
                } finally {
                    closeIfNew(typed, array);
                    closeIfNew(onCpu, array);
                }
            }
        };
    }

    private static void writeBf16(NDArray array, WritableByteChannel out) throws IOException {
        NDArray f32 = array.toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false);
        try {
            FloatBuffer in = f32.toByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            while (in.hasRemaining()) {
                chunk.clear();
                while (in.hasRemaining() && chunk.remaining() >= 2) {
                    chunk.putShort(Bfloat16.round(in.get()));
                }
                chunk.flip();
                writeAll(out, chunk);
            }
        } finally {
            closeIfNew(f32, array);
        }
    }

    private static void closeIfNew(NDArray made, NDArray original) {
        if (made != original) {
            made.close();
        }
    }

    /** Writes the whole buffer; channels may write less than asked. */
    static void writeAll(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }
}
