package io.jlora.gpu.train;

/**
 * The operations a LoRA training step is written in ({@link LoraStep}), one implementation per backend:
 * {@link CudaOps} (cuBLAS and the CUDA C kernels of {@code kernels/step.cu}) and {@link HostOps} (plain
 * Java loops in fp32, the reference the tests and the device checks compare the GPU against).
 * Shapes are row-major; "head-major" is {@code [batch, heads, seq, headDim]}, "token-major"
 * {@code [batch * seq, heads * headDim]}. Every BF16 operation accumulates in fp32.
 */
public interface Ops extends AutoCloseable {

    /** A new buffer; its contents are undefined until written. */
    Buf alloc(DType type, long elements);

    void free(Buf b);

    /** Writes floats into {@code dst} (converted to its type). */
    void upload(Buf dst, float[] values);

    /** Writes bytes into a U8 buffer (4-bit and int8 codes), each read as unsigned. */
    default void uploadBytes(Buf dst, byte[] bytes) {
        float[] values = new float[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            values[i] = bytes[i] & 0xff;
        }
        upload(dst, values);
    }

    /** Reads {@code dst.elements()} values as floats. */
    float[] download(Buf src);

    void copy(Buf src, Buf dst);

    void zero(Buf b);

    void fill(Buf b, float value);

    /** Normal(0, std) values from a counter-based generator keyed by {@code seed} (benchmark weights). */
    void fillNormal(Buf b, long seed, float std);

    /** Uniform values in [-bound, bound) from a counter-based generator keyed by {@code seed}. */
    void fillUniform(Buf b, long seed, float bound);

    /** Copies values between buffers of different types (F32 master weights into their BF16 copy). */
    void convert(Buf src, Buf dst);

    /**
     * Row-major batched GEMM: {@code C[i] = alpha * op(A[i]) op(B[i]) + beta * C[i]} for {@code i < batch},
     * op(A) is m x k, op(B) k x n; A[i] starts {@code i * strideA} elements after A's start. A and B are
     * BF16 (or both F32); C is BF16 or F32.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, long strideA,
            Buf b, int ldb, long strideB, float beta, Buf c, int ldc, long strideC, int batch);

    default void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, Buf b,
            int ldb, float beta, Buf c, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
    }

    /** {@code out[t] = table[ids[t]]}, rows of {@code hidden}. */
    void embed(Buf ids, Buf table, Buf out, int tokens, int hidden);

    /** {@code y[r, c] += bias[c]} (a frozen projection bias). */
    void addBias(Buf y, Buf bias, int rows, int cols);

    /** {@code y = x / rms(x) * w} per row (HF's order: normalise in fp32, round, scale); keeps 1/rms per row. */
    void rmsnorm(Buf x, Buf w, Buf y, Buf invRms, int rows, int cols, float eps);

    /** Adds the input gradient of {@link #rmsnorm} to {@code dxAcc}. */
    void rmsnormBackward(Buf dy, Buf x, Buf w, Buf invRms, Buf dxAcc, int rows, int cols);

    /**
     * Token-major to head-major, rotating each head by its position's angles when {@code cos} is not null
     * ({@code cos}, {@code sin}: {@code [seq, headDim / 2]} F32, HF's rotate-half convention).
     */
    void toHeads(Buf src, Buf dst, int batch, int seq, int heads, int headDim, Buf cos, Buf sin);

    /** Head-major to token-major, rotating back by each position's angles (the gradient of {@link #toHeads}) when cos is not null. */
    void fromHeads(Buf src, Buf dst, int batch, int seq, int heads, int headDim, Buf cos, Buf sin);

    /** Causal softmax of F32 {@code scores} rows into {@code probs}; row r is query position {@code r % seq}. */
    void causalSoftmax(Buf scores, Buf probs, long rows, int seq);

    /** {@code dScores = probs * (dProbs - rowsum(probs * dProbs))}; {@code dScores} may be {@code probs}. */
    void causalSoftmaxBackward(Buf probs, Buf dProbs, Buf dScores, long rows, int seq);

    /**
     * bitsandbytes' 4-bit dequantization (QLoRA): {@code out[i] = code[q_i] * absmax[i / blockSize]}, two
     * codes a U8 byte, the first in the high nibble; {@code code} the 16 F32 levels (NF4 or FP4),
     * {@code absmax} F32 per block (double quantization already undone).
     */
    void dequant4(Buf packed, Buf absmax, Buf code, Buf out, long n, int blockSize);

    /**
     * LLM.int8's weight layout: {@code out[r, c] = code[r, c] * rowAbsmax[r] / 127}, codes signed bytes
     * held in a U8 buffer (bitsandbytes' CB and SCB, as lib's Int8Quantizer writes them).
     */
    void dequantInt8(Buf codes, Buf rowAbsmax, Buf out, int rows, int cols);

    /** {@code h = silu(gate) * up}. */
    void swiglu(Buf gate, Buf up, Buf h, long n);

    void swigluBackward(Buf dh, Buf gate, Buf up, Buf dGate, Buf dUp, long n);

    /**
     * Cross-entropy of F32 logits rows against I32 labels (negative: ignored); adds {@code scale} times
     * each row's loss to F32 {@code lossSum[0]} and writes {@code scale * (softmax - onehot)} to
     * {@code dLogits} (zero rows for ignored labels).
     */
    void crossEntropy(Buf logits, Buf labels, Buf dLogits, Buf lossSum, int rows, int vocab, float scale);

    /**
     * Inverted dropout: {@code out = x * keep / (1 - p)}, keep drawn per element from a counter-based
     * generator keyed by {@code seed} (splitmix64 of seed and index, kept when its top 24 bits / 2^24 >= p):
     * the same mask on every backend and every call with that seed, so the backward regenerates it.
     */
    void dropout(Buf x, Buf out, long n, long seed, float p);

    /** {@code acc += g * keep / (1 - p)} with {@link #dropout}'s mask for {@code seed}: its gradient. */
    void dropoutBackwardAdd(Buf g, Buf acc, long n, long seed, float p);

    /** Sum of squares of an F32 buffer (the global gradient norm, squared). */
    double sumOfSquares(Buf f32);

    /**
     * torch.optim.AdamW over flat F32 buffers, gradients multiplied by {@code gradScale} first (clipping);
     * {@code shadow} (BF16) receives the updated weights for the GEMMs.
     */
    void adamw(Buf master, Buf grad, Buf m, Buf v, Buf shadow, float lr, float beta1, float beta2, float eps,
            float weightDecay, float bc1, float bc2, float gradScale);

    /** Waits for queued work (device backends). */
    void synchronize();

    /** What this backend's allocations hold. */
    MemoryCount memory();

    /** Bytes held by this backend's live allocations. */
    default long bytesInUse() {
        return memory().inUse();
    }

    /** The most bytes this backend's allocations ever held. */
    default long peakBytes() {
        return memory().peak();
    }

    @Override
    void close();
}
