package io.jlora.gpu;

import io.jlora.JloraException;

/**
 * No GPU path on this machine: the driver, a library or a device is missing. The message is one line
 * that names the cause (for example {@code no CUDA driver: libcuda.so.1 not found (searched ...)}), so
 * callers can print it as is and fall back to the CPU path; the JVM keeps running.
 */
public class GpuUnavailableException extends JloraException {

    public GpuUnavailableException(String message) {
        super(message);
    }

    public GpuUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
