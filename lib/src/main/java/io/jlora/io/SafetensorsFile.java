package io.jlora.io;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.JloraException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, read through memory maps one tensor at a time.
 *
 * <p>Each {@link #load} maps only that tensor's bytes, converts them if DJL cannot take them as
 * they are (bfloat16 and friends, see {@link SafetensorsDtype}), copies them into memory that
 * libtorch owns, and releases the map before returning. So a loaded model never holds a second
 * full copy of its weights, a file larger than 2 GB works (no single map spans it), and arrays stay
 * valid after this file is closed or replaced on disk. A tensor larger than one map can hold is
 * loaded in slices of rows and concatenated.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest byte range mapped or allocated at once; below Integer.MAX_VALUE as NIO requires. */
    static final long DEFAULT_MAX_CHUNK_BYTES = Integer.MAX_VALUE - 1024;

    private final Path file;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final long maxChunkBytes;

    private SafetensorsFile(Path file, FileChannel channel, SafetensorsHeader header, long maxChunkBytes) {
        this.file = file;
        this.channel = channel;
        this.header = header;
        this.maxChunkBytes = maxChunkBytes;
    }

    /** Opens {@code file} and checks its header; no tensor data is read yet. */
    public static SafetensorsFile open(Path file) {
        return open(file, DEFAULT_MAX_CHUNK_BYTES);
    }

    /** As {@link #open(Path)}, with a smaller slice size (tests use it to exercise slicing). */
    static SafetensorsFile open(Path file, long maxChunkBytes) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new JloraException("safetensors loading needs a little-endian platform");
        }
        if (Files.isDirectory(file)) {
            throw new ModelFormatException(file, null, "is a directory, not a safetensors file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, null, "file not found");
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot open: " + e.getMessage(), e);
        }
        try {
            return new SafetensorsFile(file, channel, SafetensorsHeader.read(file, channel), maxChunkBytes);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            if (e instanceof ModelFormatException m) {
                throw m;
            }
            throw new ModelFormatException(file, null, "cannot read header: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return file;
    }

    /** Tensor names in the order of their data in the file. */
    public Set<String> keys() {
        return header.tensors().keySet();
    }

    public boolean contains(String key) {
        return header.tensors().containsKey(key);
    }

    /** The header entry of {@code key}; throws naming file and key when absent. */
    public TensorInfo info(String key) {
        TensorInfo t = header.tensors().get(key);
        if (t == null) {
            throw new ModelFormatException(file, key, "no such tensor in this file");
        }
        return t;
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    /**
     * Loads one tensor into {@code target} (on its device), in the type
     * {@link SafetensorsDtype#loadedAs()} gives: bfloat16 arrives as float32.
     */
    public NDArray load(String key, NDManager target) {
        TensorInfo t = info(key);
        DataType type = t.dtype().loadedAs();
        if (type == null) {
            throw new ModelFormatException(file, key, "dtype " + t.dtype() + " is not supported for loading");
        }
        Shape shape = new Shape(t.shape());
        if (t.elementCount() == 0) {
            return target.zeros(shape, type);
        }
        long rows = shape.dimension() == 0 ? 1 : shape.get(0);
        long rowElements = t.elementCount() / rows;
        long rowBytes = rowElements * Math.max(t.dtype().bytes(), type.getNumOfBytes());
        if (rowBytes * rows <= maxChunkBytes) {
            return loadRows(t, 0, rows, rowElements, shape, target);
        }
        if (rowBytes > maxChunkBytes) {
            throw new ModelFormatException(file, key, "tensor " + shape + " has rows of " + rowBytes
                    + " bytes, more than one map can hold (" + maxChunkBytes + ")");
        }
        long rowsPerChunk = maxChunkBytes / rowBytes;
        NDList parts = new NDList();
        try {
            for (long r = 0; r < rows; r += rowsPerChunk) {
                long n = Math.min(rowsPerChunk, rows - r);
                long[] partShape = shape.getShape().clone();
                partShape[0] = n;
                parts.add(loadRows(t, r, n, rowElements, new Shape(partShape), target));
            }
            return NDArrays.concat(parts, 0);
        } finally {
            parts.close();
        }
    }

    /** Loads every tensor, one after the other, in file order. */
    public Map<String, NDArray> loadAll(NDManager target) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String key : keys()) {
            out.put(key, load(key, target));
        }
        return out;
    }

    private NDArray loadRows(TensorInfo t, long firstRow, long rowCount, long rowElements, Shape partShape,
            NDManager target) {
        int inBytes = t.dtype().bytes();
        long start = header.dataStart() + t.begin() + firstRow * rowElements * inBytes;
        long length = rowCount * rowElements * inBytes;
        MappedByteBuffer mapped = null;
        ByteBuffer widened = null;
        try {
            if (channel.size() < start + length) {
                // reading a mapped page past the end of a file is a SIGBUS, not an exception
                throw new ModelFormatException(file, t.key(), "file is shorter than when it was opened");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, start, length);
            widened = widen(t.dtype(), mapped);
            try (NDManager scratch = target.newSubManager(Device.cpu())) {
                // the view reads the map (or the widened buffer) in place; the copy below is
                // libtorch's own memory and outlives both buffers
                NDArray view = scratch.create(widened != null ? widened : mapped, partShape, t.dtype().loadedAs());
                NDArray owned = target.getDevice().isGpu()
                        ? view.toDevice(target.getDevice(), true)
                        : view.duplicate();
                owned.attach(target);
                return owned;
            }
        } catch (IOException e) {
            throw new ModelFormatException(file, t.key(), "read failed: " + e.getMessage(), e);
        } finally {
            DirectBuffers.release(widened);
            DirectBuffers.release(mapped);
        }
    }

    private static ByteBuffer widen(SafetensorsDtype dtype, ByteBuffer raw) {
        switch (dtype) {
            case BF16: return Widening.bf16ToF32(raw);
            case I16: return Widening.i16ToI32(raw, false);
            case U16: return Widening.i16ToI32(raw, true);
            case U32: return Widening.u32ToI64(raw);
            default: return null;
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing was written through this channel
        }
    }
}
