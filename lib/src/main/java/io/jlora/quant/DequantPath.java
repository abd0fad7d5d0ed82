package io.jlora.quant;

/** Which code turns packed 4-bit weights into floats. */
public enum DequantPath {
    /** Plain Java over the tensor memory ({@link FourBitDequantizer}); CPU only, the faster there. */
    JAVA,
    /** DJL ops on the array's device ({@link DjlFourBitDequantizer}); the GPU path. */
    DJL_OPS;

    /** Java on the CPU, DJL ops elsewhere. */
    public static DequantPath forDevice(ai.djl.Device device) {
        return device.isGpu() ? DJL_OPS : JAVA;
    }
}
