package io.jlora.gpu;

import io.jlora.JloraException;

/**
 * A CUDA, NVRTC or cuBLAS call returned an error: one line naming the call and the library's own name
 * for the code (for example {@code cuMemAlloc(1073741824 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)}).
 */
public class CudaException extends JloraException {

    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The raw status code the library returned. */
    public int code() {
        return code;
    }
}
