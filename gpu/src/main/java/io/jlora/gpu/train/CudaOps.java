package io.jlora.gpu.train;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.jlora.gpu.Cublas;
import io.jlora.gpu.CudaDriver;
import io.jlora.gpu.GpuRuntime;
import io.jlora.gpu.Kernels;
import io.jlora.io.Bfloat16;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link Ops} on an NVIDIA GPU: cuBLAS for every GEMM (bf16 inputs, fp32 accumulation), the CUDA C
 * kernels of {@code kernels/step.cu} and {@code adamw.cu} for the rest, all on the default stream.
 * Kernel arguments are packed into one reused native block and launched through exact method-handle
 * invocations, so a launch costs microseconds of host time. With {@code JLORA_GPU_SYNC=1} every
 * operation synchronizes and checks, naming the operation that faulted.
 */
public final class CudaOps implements Ops {

    /** Device memory. */
    record DeviceBuf(long ptr, long elements, DType dtype) implements Buf {
        @Override
        public Buf slice(long offset, long n) {
            Buf.checkSlice(this, offset, n);
            return new DeviceBuf(ptr + offset * dtype.bytes, n, dtype);
        }
    }

    private static final int MAX_ARGS = 16;
    private static final int ELEMENT_THREADS = 256;
    private static final int MAX_BLOCKS = 65535;

    private final GpuRuntime gpu;
    private final CudaDriver driver;
    private final Cublas cublas;
    private final MemorySegment handle;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment args = arena.allocate(8L * MAX_ARGS, 8);
    private final MemorySegment argPointers = arena.allocate(ADDRESS, MAX_ARGS);
    private final MemorySegment alpha = arena.allocate(JAVA_FLOAT);
    private final MemorySegment beta = arena.allocate(JAVA_FLOAT);
    private final MemorySegment scalar = arena.allocate(JAVA_FLOAT);
    private final boolean syncEach;
    private final MemoryCount memory = new MemoryCount();
    private Buf scratchScalar;

    public CudaOps(GpuRuntime gpu) {
        this.gpu = gpu;
        this.driver = gpu.driver();
        driver.usePrimaryContext(gpu.device());
        this.cublas = gpu.cublas();
        this.handle = cublas.createHandle();
        Kernels kernels = Kernels.system(gpu);
        MemorySegment step = kernels.load("step.cu");
        for (String name : new String[] {"embed", "rmsnorm", "rmsnorm_backward", "to_heads", "from_heads",
                "causal_softmax", "causal_softmax_backward", "swiglu", "swiglu_backward", "cross_entropy",
                "sum_squares", "dropout", "dropout_backward_add", "dequant_4bit", "dequant_int8", "add_bias", "fill_bf16", "fill_f32",
                "f32_to_bf16", "bf16_to_f32", "fill_random"}) {
            functions.put(name, driver.function(step, name));
        }
        functions.put("adamw_step", driver.function(kernels.load("adamw.cu"), "adamw_step"));
        for (int i = 0; i < MAX_ARGS; i++) {
            argPointers.setAtIndex(ADDRESS, i, args.asSlice(8L * i, 8));
        }
        this.syncEach = "1".equals(System.getenv("JLORA_GPU_SYNC"));
        scratchScalar = alloc(DType.F32, 1);
    }

    public GpuRuntime gpu() {
        return gpu;
    }

    private static DeviceBuf d(Buf b) {
        return (DeviceBuf) b;
    }

    // ---- memory

    @Override
    public Buf alloc(DType type, long elements) {
        long bytes = Math.max(1, elements) * type.bytes;
        long ptr = driver.malloc((bytes + 255) / 256 * 256);
        memory.allocated(bytes);
        return new DeviceBuf(ptr, elements, type);
    }

    @Override
    public void free(Buf b) {
        driver.free(d(b).ptr());
        memory.freed(Math.max(1, b.elements()) * b.dtype().bytes);
    }

    @Override
    public void upload(Buf dst, float[] values) {
        if (values.length != dst.elements()) {
            throw new IllegalArgumentException("upload of " + values.length + " values into " + dst.elements());
        }
        int chunk = 1 << 24;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate((long) Math.min(chunk, values.length) * dst.dtype().bytes, 8);
            for (int at = 0; at < values.length; at += chunk) {
                int n = Math.min(chunk, values.length - at);
                for (int i = 0; i < n; i++) {
                    float v = values[at + i];
                    switch (dst.dtype()) {
                        case BF16 -> host.setAtIndex(JAVA_SHORT, i, Bfloat16.round(v));
                        case F32 -> host.setAtIndex(JAVA_FLOAT, i, v);
                        case I32 -> host.setAtIndex(JAVA_INT, i, (int) v);
                        case U8 -> host.set(JAVA_BYTE, i, (byte) (int) v);
                    }
                }
                driver.copyToDevice(d(dst).ptr() + (long) at * dst.dtype().bytes,
                        host.asSlice(0, (long) n * dst.dtype().bytes));
            }
        }
    }

    @Override
    public float[] download(Buf src) {
        float[] out = new float[Math.toIntExact(src.elements())];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(Math.max(1, src.elements()) * src.dtype().bytes, 8);
            driver.copyToHost(host.asSlice(0, src.elements() * src.dtype().bytes), d(src).ptr());
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (src.dtype()) {
                    case BF16 -> Float.intBitsToFloat((host.getAtIndex(JAVA_SHORT, i) & 0xffff) << 16);
                    case F32 -> host.getAtIndex(JAVA_FLOAT, i);
                    case I32 -> host.getAtIndex(JAVA_INT, i);
                    case U8 -> host.get(JAVA_BYTE, i) & 0xff;
                };
            }
        }
        return out;
    }

    @Override
    public void copy(Buf src, Buf dst) {
        if (src.dtype() != dst.dtype() || src.elements() > dst.elements()) {
            throw new IllegalArgumentException("copy of " + src.elements() + " " + src.dtype() + " into "
                    + dst.elements() + " " + dst.dtype());
        }
        driver.copyOnDevice(d(dst).ptr(), d(src).ptr(), src.elements() * src.dtype().bytes);
        after("copy");
    }

    @Override
    public void zero(Buf b) {
        driver.zero(d(b).ptr(), b.elements() * b.dtype().bytes);
        after("zero");
    }

    @Override
    public void fill(Buf b, float value) {
        launch(b.dtype() == DType.BF16 ? "fill_bf16" : "fill_f32", blocks(b.elements()), ELEMENT_THREADS,
                p(b), b.elements(), value);
    }

    @Override
    public void fillNormal(Buf b, long seed, float std) {
        launch("fill_random", blocks(b.elements()), ELEMENT_THREADS, p(b), b.elements(), seed, std, 0,
                b.dtype() == DType.BF16 ? 1 : 0);
    }

    @Override
    public void fillUniform(Buf b, long seed, float bound) {
        // out_type: 0 f32, 1 bf16, 2 u8 (uniform bytes; bound ignored)
        launch("fill_random", blocks(b.elements()), ELEMENT_THREADS, p(b), b.elements(), seed, bound, 1,
                b.dtype() == DType.BF16 ? 1 : b.dtype() == DType.U8 ? 2 : 0);
    }

    @Override
    public void convert(Buf src, Buf dst) {
        if (src.dtype() == dst.dtype()) {
            copy(src, dst);
        } else if (src.dtype() == DType.F32 && dst.dtype() == DType.BF16) {
            launch("f32_to_bf16", blocks(src.elements()), ELEMENT_THREADS, p(src), p(dst), src.elements());
        } else if (src.dtype() == DType.BF16 && dst.dtype() == DType.F32) {
            launch("bf16_to_f32", blocks(src.elements()), ELEMENT_THREADS, p(src), p(dst), src.elements());
        } else {
            throw new IllegalArgumentException("no conversion " + src.dtype() + " -> " + dst.dtype());
        }
    }

    // ---- GEMM

    private static int cudaType(DType t) {
        return switch (t) {
            case BF16 -> Cublas.R_16BF;
            case F32 -> Cublas.R_32F;
            case I32, U8 -> throw new IllegalArgumentException("no GEMM over " + t);
        };
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alphaValue, Buf a, int lda,
            long strideA, Buf b, int ldb, long strideB, float betaValue, Buf c, int ldc, long strideC, int batch) {
        alpha.set(JAVA_FLOAT, 0, alphaValue);
        beta.set(JAVA_FLOAT, 0, betaValue);
        // row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands
        cublas.gemmStridedBatched(handle, transB ? Cublas.OP_T : Cublas.OP_N, transA ? Cublas.OP_T : Cublas.OP_N, n, m,
                k, alpha, d(b).ptr(), cudaType(b.dtype()), ldb, strideB, d(a).ptr(), cudaType(a.dtype()), lda, strideA,
                beta, d(c).ptr(), cudaType(c.dtype()), ldc, strideC, batch);
        if (syncEach) { // the name is built only when it can be reported
            after("gemm " + m + "x" + n + "x" + k);
        }
    }

    // ---- kernels

    @Override
    public void embed(Buf ids, Buf table, Buf out, int tokens, int hidden) {
        launch("embed", blocks((long) tokens * hidden), ELEMENT_THREADS, p(ids), p(table), p(out), (long) tokens,
                hidden);
    }

    private static int rowThreads(int cols) {
        return cols >= 2048 ? 256 : cols >= 512 ? 128 : 64;
    }

    @Override
    public void addBias(Buf y, Buf bias, int rows, int cols) {
        launch("add_bias", blocks((long) rows * cols), ELEMENT_THREADS, p(y), p(bias), (long) rows * cols, cols);
    }

    @Override
    public void rmsnorm(Buf x, Buf w, Buf y, Buf invRms, int rows, int cols, float eps) {
        launch("rmsnorm", rows, rowThreads(cols), p(x), p(w), p(y), p(invRms), cols, eps);
    }

    @Override
    public void rmsnormBackward(Buf dy, Buf x, Buf w, Buf invRms, Buf dxAcc, int rows, int cols) {
        launch("rmsnorm_backward", rows, rowThreads(cols), p(dy), p(x), p(w), p(invRms), p(dxAcc), cols);
    }

    @Override
    public void toHeads(Buf src, Buf dst, int batch, int seq, int heads, int headDim, Buf cos, Buf sin) {
        long pairs = (long) batch * seq * heads * (headDim / 2);
        launch("to_heads", blocks(pairs), ELEMENT_THREADS, p(src), p(dst), batch, seq, heads, headDim, p(cos),
                p(sin), cos == null ? 0 : 1);
    }

    @Override
    public void fromHeads(Buf src, Buf dst, int batch, int seq, int heads, int headDim, Buf cos, Buf sin) {
        long pairs = (long) batch * seq * heads * (headDim / 2);
        launch("from_heads", blocks(pairs), ELEMENT_THREADS, p(src), p(dst), batch, seq, heads, headDim, p(cos),
                p(sin), cos == null ? 0 : 1);
    }

    @Override
    public void causalSoftmax(Buf scores, Buf probs, long rows, int seq) {
        launch("causal_softmax", Math.toIntExact(rows), rowThreads(seq * 2), p(scores), p(probs), seq);
    }

    @Override
    public void causalSoftmaxBackward(Buf probs, Buf dProbs, Buf dScores, long rows, int seq) {
        launch("causal_softmax_backward", Math.toIntExact(rows), rowThreads(seq * 2), p(probs), p(dProbs),
                p(dScores), seq);
    }

    @Override
    public void dequant4(Buf packed, Buf absmax, Buf code, Buf out, long n, int blockSize) {
        launch("dequant_4bit", blocks((n + 1) / 2), ELEMENT_THREADS, p(packed), p(absmax), p(code), p(out), n,
                blockSize);
    }

    @Override
    public void dequantInt8(Buf codes, Buf rowAbsmax, Buf out, int rows, int cols) {
        launch("dequant_int8", blocks((long) rows * cols), ELEMENT_THREADS, p(codes), p(rowAbsmax), p(out),
                (long) rows * cols, cols);
    }

    @Override
    public void swiglu(Buf gate, Buf up, Buf h, long n) {
        launch("swiglu", blocks(n), ELEMENT_THREADS, p(gate), p(up), p(h), n);
    }

    @Override
    public void swigluBackward(Buf dh, Buf gate, Buf up, Buf dGate, Buf dUp, long n) {
        launch("swiglu_backward", blocks(n), ELEMENT_THREADS, p(dh), p(gate), p(up), p(dGate), p(dUp), n);
    }

    @Override
    public void crossEntropy(Buf logits, Buf labels, Buf dLogits, Buf lossSum, int rows, int vocab, float scale) {
        launch("cross_entropy", rows, 1024, p(logits), p(labels), p(dLogits), p(lossSum), vocab, scale);
    }

    @Override
    public void dropout(Buf x, Buf out, long n, long seed, float p) {
        launch("dropout", blocks(n), ELEMENT_THREADS, p(x), p(out), n, seed, p);
    }

    @Override
    public void dropoutBackwardAdd(Buf g, Buf acc, long n, long seed, float p) {
        launch("dropout_backward_add", blocks(n), ELEMENT_THREADS, p(g), p(acc), n, seed, p);
    }

    @Override
    public double sumOfSquares(Buf f32) {
        zero(scratchScalar);
        launch("sum_squares", Math.min(blocks(f32.elements()), 4096), ELEMENT_THREADS, p(f32), f32.elements(),
                p(scratchScalar));
        return download(scratchScalar)[0];
    }

    @Override
    public void adamw(Buf master, Buf grad, Buf m, Buf v, Buf shadow, float lr, float beta1, float beta2, float eps,
            float weightDecay, float bc1, float bc2, float gradScale) {
        launch("adamw_step", blocks(master.elements()), ELEMENT_THREADS, p(master), p(grad), p(m), p(v), p(shadow),
                master.elements(), lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale);
    }

    @Override
    public void synchronize() {
        driver.synchronize();
    }

    @Override
    public MemoryCount memory() {
        return memory;
    }

    /** {free, total} device memory as the driver reports it (other processes' use included). */
    public long[] deviceMemory() {
        return driver.memoryInfo();
    }

    @Override
    public void close() {
        free(scratchScalar);
        cublas.destroyHandle(handle);
        arena.close();
    }

    // ---- launching

    private static int blocks(long n) {
        return (int) Math.max(1, Math.min(MAX_BLOCKS, (n + ELEMENT_THREADS - 1) / ELEMENT_THREADS));
    }

    /** A device pointer argument (null becomes a null pointer). */
    private static Long p(Buf b) {
        return b == null ? 0L : d(b).ptr();
    }

    private void launch(String kernel, int grid, int block, Object... values) {
        if (values.length > MAX_ARGS) {
            throw new IllegalArgumentException(kernel + ": too many arguments");
        }
        for (int i = 0; i < values.length; i++) {
            long at = 8L * i;
            switch (values[i]) {
                case Long l -> args.set(JAVA_LONG, at, l);
                case Integer n -> args.set(JAVA_INT, at, n);
                case Float fl -> args.set(JAVA_FLOAT, at, fl);
                default -> throw new IllegalArgumentException(kernel + ": argument " + i + " is " + values[i]);
            }
        }
        driver.launchExact(functions.get(kernel), grid, block, 0, argPointers, kernel);
        after(kernel);
    }

    private void after(String what) {
        if (syncEach) {
            try {
                driver.synchronize();
            } catch (RuntimeException e) {
                throw new IllegalStateException("GPU fault after " + what + ": " + e.getMessage(), e);
            }
        }
    }
}
