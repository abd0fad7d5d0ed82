package io.jlora.gpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * The device script's first check (bench/gpu/run.sh): every binding once, against host arithmetic.
 * NVRTC compiles the shipped kernels, {@code adamw_step} updates a buffer, cuBLAS multiplies fp32 and
 * bf16 matrices, and the error paths (out of memory, a compile error) come back as one-line
 * exceptions. Prints PASS/FAIL lines; exits 1 if any check fails, 3 when there is no GPU. (All passed
 * on an H200: bench/gpu/runs.)
 */
public final class GpuSmoke {

    private int failures;

    public static void main(String[] args) {
        GpuRuntime gpu = GpuRuntime.openOrExit();
        System.out.println("gpu: " + gpu.describe());
        GpuSmoke s = new GpuSmoke();
        gpu.driver().usePrimaryContext(gpu.device());
        Kernels kernels = Kernels.system(gpu);
        s.check("nvrtc compiles step.cu and adamw.cu", () -> {
            kernels.load("step.cu");
            kernels.load("adamw.cu");
            return "ok";
        });
        s.check("adamw_step equals host AdamW", () -> s.adamw(gpu, kernels));
        s.check("cublasSgemm equals host GEMM", () -> s.gemm(gpu, false));
        s.check("cublasGemmEx bf16 equals host GEMM", () -> s.gemm(gpu, true));
        s.check("out of memory is one line", () -> {
            try {
                gpu.driver().malloc(1L << 50);
                throw new AssertionError("a 1 PiB allocation succeeded");
            } catch (CudaException e) {
                return expectOneLine(e.getMessage(), "CUDA_ERROR_OUT_OF_MEMORY");
            }
        });
        s.check("an NVRTC compile error is one line", () -> {
            try {
                kernels.loadSource("broken.cu", "extern \"C\" __global__ void k() { undefined_name(); }");
                throw new AssertionError("broken source compiled");
            } catch (CudaException e) {
                return expectOneLine(e.getMessage(), "broken.cu");
            }
        });
        System.out.println(s.failures == 0 ? "smoke: all passed" : "smoke: " + s.failures + " failed");
        System.exit(s.failures == 0 ? 0 : 1);
    }

    private interface Check {
        String run() throws Exception;
    }

    private void check(String name, Check c) {
        try {
            System.out.println("PASS " + name + ": " + c.run());
        } catch (Throwable t) {
            failures++;
            System.out.println("FAIL " + name + ": " + t);
        }
    }

    private static String expectOneLine(String m, String must) {
        if (m.contains("\n") || !m.contains(must)) {
            throw new AssertionError("expected one line naming " + must + ", got: " + m);
        }
        return m;
    }

    private String adamw(GpuRuntime gpu, Kernels kernels) {
        CudaDriver d = gpu.driver();
        int n = 1000;
        float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f, bc1 = 1 - b1, bc2 = 1 - b2, scale = 0.5f;
        Random r = new Random(1);
        float[] p = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) r.nextGaussian();
            g[i] = (float) r.nextGaussian();
        }
        try (Arena a = Arena.ofConfined()) {
            long dp = upload(d, a, p), dg = upload(d, a, g), dm = upload(d, a, new float[n]), dv = upload(d, a, new float[n]);
            long ds = d.malloc(2L * n);
            MemorySegment f = d.function(kernels.load("adamw.cu"), "adamw_step");
            d.launch(f, new int[] {(n + 255) / 256, 1, 1}, new int[] {256, 1, 1}, 0, arg(a, dp), arg(a, dg), arg(a, dm),
                    arg(a, dv), arg(a, ds), arg(a, (long) n), argF(a, lr), argF(a, b1), argF(a, b2), argF(a, eps),
                    argF(a, wd), argF(a, bc1), argF(a, bc2), argF(a, scale));
            d.synchronize();
            float[] got = download(d, a, dp, n);
            double worst = 0;
            for (int i = 0; i < n; i++) {
                float gi = g[i] * scale;
                float pi = p[i] - lr * wd * p[i];
                float m = (1 - b1) * gi, v = (1 - b2) * gi * gi;
                pi -= lr * (m / bc1) / ((float) Math.sqrt(v / bc2) + eps);
                worst = Math.max(worst, Math.abs(pi - got[i]));
            }
            for (long ptr : new long[] {dp, dg, dm, dv, ds}) {
                d.free(ptr);
            }
            if (worst > 1e-5) {
                throw new AssertionError("max |diff| " + worst);
            }
            return "max |diff| " + worst;
        }
    }

    /** Row-major C[m,n] = A[m,k] B[k,n] computed by cuBLAS as column-major C^T = B^T A^T. */
    private String gemm(GpuRuntime gpu, boolean bf16) {
        CudaDriver d = gpu.driver();
        Cublas blas = gpu.cublas();
        int m = 64, n = 48, k = 32;
        Random r = new Random(2);
        float[] x = new float[m * k], w = new float[k * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = bf16 ? roundBf16((float) r.nextGaussian()) : (float) r.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = bf16 ? roundBf16((float) r.nextGaussian()) : (float) r.nextGaussian();
        }
        MemorySegment h = blas.createHandle();
        try (Arena a = Arena.ofConfined()) {
            long da = bf16 ? uploadBf16(d, a, x) : upload(d, a, x);
            long db = bf16 ? uploadBf16(d, a, w) : upload(d, a, w);
            long dc = d.malloc(4L * m * n);
            if (bf16) {
                blas.gemmEx(h, Cublas.OP_N, Cublas.OP_N, n, m, k, 1f, db, Cublas.R_16BF, n, da, Cublas.R_16BF, k, 0f, dc,
                        Cublas.R_32F, n);
            } else {
                blas.sgemm(h, Cublas.OP_N, Cublas.OP_N, n, m, k, 1f, db, n, da, k, 0f, dc, n);
            }
            d.synchronize();
            float[] c = download(d, a, dc, m * n);
            double worst = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int t = 0; t < k; t++) {
                        s += (double) x[i * k + t] * w[t * n + j];
                    }
                    worst = Math.max(worst, Math.abs(s - c[i * n + j]));
                }
            }
            d.free(da);
            d.free(db);
            d.free(dc);
            // exact bf16 products summed in fp32 over k=32: well under 1e-3 (TF32 would not be)
            if (worst > 1e-3) {
                throw new AssertionError("max |diff| " + worst);
            }
            return "max |diff| " + worst;
        } finally {
            blas.destroyHandle(h);
        }
    }

    private static float roundBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        bits += 0x7FFF + ((bits >>> 16) & 1); // round to nearest even
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    private static long upload(CudaDriver d, Arena a, float[] v) {
        MemorySegment host = a.allocateFrom(JAVA_FLOAT, v);
        long ptr = d.malloc(host.byteSize());
        d.copyToDevice(ptr, host);
        return ptr;
    }

    private static long uploadBf16(CudaDriver d, Arena a, float[] v) {
        MemorySegment host = a.allocate(JAVA_SHORT, v.length);
        for (int i = 0; i < v.length; i++) {
            host.setAtIndex(JAVA_SHORT, i, (short) (Float.floatToRawIntBits(v[i]) >>> 16));
        }
        long ptr = d.malloc(host.byteSize());
        d.copyToDevice(ptr, host);
        return ptr;
    }

    private static float[] download(CudaDriver d, Arena a, long ptr, int n) {
        MemorySegment host = a.allocate(JAVA_FLOAT, n);
        d.copyToHost(host, ptr);
        return host.toArray(JAVA_FLOAT);
    }

    private static MemorySegment arg(Arena a, long v) {
        return a.allocateFrom(JAVA_LONG, v);
    }

    private static MemorySegment argF(Arena a, float v) {
        return a.allocateFrom(JAVA_FLOAT, v);
    }

    @SuppressWarnings("unused")
    private static MemorySegment argI(Arena a, int v) {
        return a.allocateFrom(JAVA_INT, v);
    }
}
