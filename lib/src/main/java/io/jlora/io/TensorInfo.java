package io.jlora.io;

import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header: its type, shape and byte range, the range counted
 * from the start of the data section (right after the header), as the format defines it.
 */
public record TensorInfo(String key, SafetensorsDtype dtype, long[] shape, long begin, long end) {

    /** Number of elements: the product of the shape, 1 for a scalar. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes in the file. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && key.equals(t.key) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return key + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
