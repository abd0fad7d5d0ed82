package io.jlora.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Hand-written FFM bindings of the cuBLAS calls the GPU path uses. cuBLAS is column-major: a
 * row-major {@code C = A @ B} is computed as {@code C^T = B^T @ A^T}, which callers arrange.
 * Device pointers are CUdeviceptr values (longs) passed as addresses.
 */
public final class Cublas {

    public static final int OP_N = 0;
    public static final int OP_T = 1;
    /** cudaDataType values. */
    public static final int R_32F = 0;
    public static final int R_16BF = 14;
    /** cublasComputeType_t: fp32 accumulation. */
    public static final int COMPUTE_32F = 68;
    public static final int GEMM_DEFAULT = -1;

    private final MethodHandle create, destroy, sgemm, gemmEx, gemmStridedBatchedEx;

    Cublas(Downcalls lib) {
        create = lib.bind("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.bind("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        sgemm = lib.bind("cublasSgemm_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS,
                JAVA_INT));
        gemmEx = lib.bind("cublasGemmEx", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        gemmStridedBatchedEx = lib.bind("cublasGemmStridedBatchedEx", STRIDED_BATCHED);
    }

    /** cublasGemmStridedBatchedEx's descriptor: the 32-bit-size entry point of every cuBLAS since 9.1. */
    static final FunctionDescriptor STRIDED_BATCHED = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT,
            JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT);

    /** A cuBLAS handle bound to the current context. */
    public MemorySegment createHandle() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            check(call(create, h), "cublasCreate");
            return h.get(ADDRESS, 0);
        }
    }

    public void destroyHandle(MemorySegment handle) {
        check(call(destroy, handle), "cublasDestroy");
    }

    /** fp32 GEMM, column-major: C = alpha op(A) op(B) + beta C. */
    public void sgemm(MemorySegment handle, int transA, int transB, int m, int n, int k, float alpha, long a,
            int lda, long b, int ldb, float beta, long c, int ldc) {
        try (Arena ar = Arena.ofConfined()) {
            check(call(sgemm, handle, transA, transB, m, n, k, ar.allocateFrom(JAVA_FLOAT, alpha),
                    MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb, ar.allocateFrom(JAVA_FLOAT, beta),
                    MemorySegment.ofAddress(c), ldc), "cublasSgemm(" + m + "x" + n + "x" + k + ")");
        }
    }

    /** Mixed-precision GEMM (e.g. bf16 inputs, fp32 accumulation): {@code computeType} {@link #COMPUTE_32F}. */
    public void gemmEx(MemorySegment handle, int transA, int transB, int m, int n, int k, float alpha, long a,
            int aType, int lda, long b, int bType, int ldb, float beta, long c, int cType, int ldc) {
        try (Arena ar = Arena.ofConfined()) {
            check(call(gemmEx, handle, transA, transB, m, n, k, ar.allocateFrom(JAVA_FLOAT, alpha),
                    MemorySegment.ofAddress(a), aType, lda, MemorySegment.ofAddress(b), bType, ldb,
                    ar.allocateFrom(JAVA_FLOAT, beta), MemorySegment.ofAddress(c), cType, ldc, COMPUTE_32F,
                    GEMM_DEFAULT), "cublasGemmEx(" + m + "x" + n + "x" + k + ")");
        }
    }

    /**
     * Column-major strided batched GEMM with fp32 accumulation, called exactly (the step's hot path).
     * {@code alpha} and {@code beta} point to host floats; matrices are device addresses.
     */
    public void gemmStridedBatched(MemorySegment handle, int transA, int transB, int m, int n, int k,
            MemorySegment alpha, long a, int aType, int lda, long strideA, long b, int bType, int ldb, long strideB,
            MemorySegment beta, long c, int cType, int ldc, long strideC, int batch) {
        int rc;
        try {
            rc = (int) gemmStridedBatchedEx.invokeExact(handle, transA, transB, m, n, k, alpha,
                    MemorySegment.ofAddress(a), aType, lda, strideA, MemorySegment.ofAddress(b), bType, ldb, strideB,
                    beta, MemorySegment.ofAddress(c), cType, ldc, strideC, batch, COMPUTE_32F, GEMM_DEFAULT);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (rc != 0) {
            throw new CudaException("cublasGemmStridedBatchedEx(" + m + "x" + n + "x" + k + ", batch " + batch
                    + ") failed: " + statusName(rc), rc);
        }
    }

    /** cuBLAS's status names (cublasGetStatusName exists only from 11.4; these codes are stable). */
    static String statusName(int code) {
        return switch (code) {
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus " + code;
        };
    }

    private static void check(Object rc, String what) {
        int code = (int) rc;
        if (code != 0) {
            throw new CudaException(what + " failed: " + statusName(code), code);
        }
    }

    private static Object call(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
