package io.jlora.gpu.train;

/** Element types of step buffers. A backend may hold BF16 at higher precision (the host backend keeps fp32). */
public enum DType {
    BF16(2), F32(4), I32(4), U8(1);

    /** Bytes per element on the device. */
    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }
}
