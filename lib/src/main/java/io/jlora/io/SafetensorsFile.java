package io.jlora.io;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * <p>{@link #load} allocates the destination tensor in libtorch's memory and fills it chunk by
 * chunk (at most 64 MiB mapped at once): each chunk is mapped, converted in Java if DJL cannot take
 * its type (bfloat16 and friends, see {@link SafetensorsDtype}), copied into place, and unmapped. So
 * a loaded model never holds a second copy of its weights, files and tensors larger than 2 GB work,
 * and arrays stay valid after this file is closed or replaced on disk.
 *
 * <p>Made by {@link #open}, which checks the header; the parts are the file, its open channel, its
 * parsed header and the largest chunk mapped at once.
 */
public record SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header, long maxChunkBytes)
        implements AutoCloseable {

    /** Largest byte range mapped or widened at once: all the scratch memory loading needs. */
    static final long DEFAULT_MAX_CHUNK_BYTES = 64L << 20;


    /** Opens {@code file} and checks its header; no tensor data is read yet. */
    public static SafetensorsFile open(Path file) {
        return open(file, DEFAULT_MAX_CHUNK_BYTES);
    }

    /** As {@link #open(Path)}, with a smaller chunk size (tests use it to exercise chunking). */
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
            throw new ModelFormatException(path, key, "no such tensor in this file");
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
        return load(key, target, null);
    }

    /**
     * As {@link #load(String, NDManager)}, converted chunk by chunk to the floating type
     * {@code as} (null: the loaded type), so that e.g. a bfloat16 tensor arrives as float16
     * without its float32 widening ever being whole: the scratch memory stays one chunk.
     */
    public NDArray load(String key, NDManager target, DataType as) {
        TensorInfo t = info(key);
        DataType loaded = t.dtype().loadedAs();
        if (loaded == null) {
            throw new ModelFormatException(path, key, "dtype " + t.dtype() + " is not supported for loading");
        }
        if (as != null && as != loaded && !(as.isFloating() && loaded.isFloating())) {
            throw new ModelFormatException(path, key, "dtype " + t.dtype() + " cannot be loaded as " + as);
        }
        DataType type = as == null ? loaded : as;
        Shape shape = new Shape(t.shape());
        long n = t.elementCount();
        if (n == 0) {
            return target.zeros(shape, type);
        }
        long chunkElements = Math.max(1, maxChunkBytes / Math.max(t.dtype().bytes(), loaded.getNumOfBytes()));
        // the destination is allocated by libtorch and filled chunk by chunk: no Java buffer ever
        // holds the whole tensor, and a tensor larger than one map (2 GB) needs no special case
        NDArray flat = target.create(new Shape(n), type);
        ByteBuffer widened = t.dtype().isNative() ? null
                : ByteBuffer.allocateDirect(Math.toIntExact(Math.min(n, chunkElements) * loaded.getNumOfBytes()))
                        .order(ByteOrder.nativeOrder());
        try {
            for (long first = 0; first < n; first += chunkElements) {
                copyChunk(t, loaded, first, Math.min(chunkElements, n - first), flat, widened);
            }
            NDArray shaped = flat.reshape(shape);
            shaped.attach(target);
            return shaped;
        } finally {
            flat.close(); // the reshaped view keeps the storage alive
            DirectBuffers.release(widened);
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

    /** Copies elements [first, first+count) of tensor t, read as {@code loaded}, into the same range of flat. */
    private void copyChunk(TensorInfo t, DataType loaded, long first, long count, NDArray flat, ByteBuffer widened) {
        int inBytes = t.dtype().bytes();
        long start = header.dataStart() + t.begin() + first * inBytes;
        long length = count * inBytes;
        MappedByteBuffer mapped = null;
        try {
            if (channel.size() < start + length) {
                // reading a mapped page past the end of a file is a SIGBUS, not an exception
                throw new ModelFormatException(path, t.key(), "file is shorter than when it was opened");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, start, length);
            if (widened != null) {
                // the last chunk of a tensor fills only part of the buffer: a buffer larger than the
                // view makes DJL warn "Input buffer size is greater than the NDArray size"
                widened.clear().limit(Math.toIntExact(count * loaded.getNumOfBytes()));
                Widening.widen(t.dtype(), mapped, widened);
            }
            try (NDManager scratch = flat.getManager().newSubManager(Device.cpu())) {
                // the view reads the map (or the widened buffer) in place; set() copies it into
                // libtorch's memory before either buffer is released
                NDArray view = scratch.create(widened != null ? widened : mapped, new Shape(count), loaded);
                if (loaded != flat.getDataType()) {
                    view = view.toType(flat.getDataType(), false);
                }
                if (flat.getDevice().isGpu()) {
                    view = view.toDevice(flat.getDevice(), false);
                }
                flat.set(new NDIndex("{}:{}", first, first + count), view);
            }
        } catch (IOException e) {
            throw new ModelFormatException(path, t.key(), "read failed: " + e.getMessage(), e);
        } finally {
            DirectBuffers.release(mapped);
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
