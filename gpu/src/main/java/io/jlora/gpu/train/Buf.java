package io.jlora.gpu.train;

/** A run of elements in a backend's memory: device memory for {@link CudaOps}, a Java array for {@link HostOps}. */
public interface Buf {

    DType dtype();

    long elements();

    /** The {@code n} elements from {@code offset}: a view, no copy. */
    Buf slice(long offset, long n);

    /** From {@code offset} to the end. */
    default Buf from(long offset) {
        return slice(offset, elements() - offset);
    }

    static void checkSlice(Buf b, long offset, long n) {
        if (offset < 0 || n < 0 || offset + n > b.elements()) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + n) + ") of a buffer of "
                    + b.elements() + " elements");
        }
    }
}
