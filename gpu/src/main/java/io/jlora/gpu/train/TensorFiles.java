package io.jlora.gpu.train;

import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsHeader;
import io.jlora.io.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tensors of one safetensors file or of every {@code *.safetensors} file in a folder, read as
 * float arrays (F32, BF16, F16) or longs (I64, I32). Reads the header with lib's validating
 * {@link SafetensorsHeader} and the data with plain channel reads: the GPU path loads no DJL.
 */
public final class TensorFiles {

    private record Located(Path file, long dataStart, TensorInfo info) {
    }

    private final Map<String, Located> tensors = new LinkedHashMap<>();

    private TensorFiles() {
    }

    /** A file, or a folder's safetensors files (sharded checkpoints). */
    public static TensorFiles open(Path path) {
        TensorFiles t = new TensorFiles();
        List<Path> files;
        try (Stream<Path> s = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + path, e);
        }
        if (files.isEmpty()) {
            throw new ModelFormatException(path, null, "no .safetensors file");
        }
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                SafetensorsHeader h = SafetensorsHeader.read(f, ch);
                for (TensorInfo info : h.tensors().values()) {
                    t.tensors.put(info.key(), new Located(f, h.dataStart(), info));
                }
            } catch (IOException e) {
                throw new ModelFormatException(f, null, "cannot read: " + e.getMessage(), e);
            }
        }
        return t;
    }

    public boolean contains(String key) {
        return tensors.containsKey(key);
    }

    public long[] shape(String key) {
        return locate(key).info().shape().clone();
    }

    private Located locate(String key) {
        Located l = tensors.get(key);
        if (l == null) {
            throw new IllegalArgumentException("no tensor '" + key + "' in the safetensors files");
        }
        return l;
    }

    private ByteBuffer bytes(Located l) {
        long n = l.info().byteLength();
        if (n > Integer.MAX_VALUE) {
            throw new ModelFormatException(l.file(), l.info().key(), "tensor over 2 GiB: read it in parts");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) n).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(l.file(), StandardOpenOption.READ)) {
            long at = l.dataStart() + l.info().begin();
            while (buf.hasRemaining()) {
                if (ch.read(buf, at + buf.position()) < 0) {
                    throw new ModelFormatException(l.file(), l.info().key(), "file ends inside the tensor");
                }
            }
        } catch (IOException e) {
            throw new ModelFormatException(l.file(), l.info().key(), "cannot read: " + e.getMessage(), e);
        }
        return buf.flip();
    }

    /** The tensor's values as floats, checking its element count against {@code expected} (-1: any). */
    public float[] floats(String key, long expected) {
        Located l = locate(key);
        long n = l.info().elementCount();
        if (expected >= 0 && n != expected) {
            throw new ModelFormatException(l.file(), key, "has " + n + " elements, expected " + expected);
        }
        ByteBuffer b = bytes(l);
        float[] out = new float[(int) n];
        switch (l.info().dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                }
            }
            case F16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.float16ToFloat(b.getShort());
                }
            }
            default -> throw new ModelFormatException(l.file(), key, "is " + l.info().dtype()
                    + ", expected F32, BF16 or F16");
        }
        return out;
    }

    /** An integer tensor's values as ints (token ids). */
    public int[] ints(String key) {
        long[] raw = longs(key);
        int[] out = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = Math.toIntExact(raw[i]);
        }
        return out;
    }

    /** An integer tensor's values. */
    public long[] longs(String key) {
        Located l = locate(key);
        ByteBuffer b = bytes(l);
        long[] out = new long[(int) l.info().elementCount()];
        switch (l.info().dtype()) {
            case I64 -> b.asLongBuffer().get(out);
            case I32 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.getInt();
                }
            }
            default -> throw new ModelFormatException(l.file(), key, "is " + l.info().dtype() + ", expected I64 or I32");
        }
        return out;
    }
}
