package io.jlora.gpu.train;

import java.util.Arrays;

/**
 * The reference backend: every operation as a plain Java loop in fp32 (BF16 buffers are held as fp32,
 * I32 as exact floats). Slow and simple on purpose: the tests check {@link LoraStep} with it against
 * transformers + PEFT, and the device checks compare {@link CudaOps} against it op by op.
 */
public final class HostOps implements Ops {

    /** A view of a float array. */
    record HostBuf(float[] data, int base, long elements, DType dtype) implements Buf {
        @Override
        public Buf slice(long offset, long n) {
            Buf.checkSlice(this, offset, n);
            return new HostBuf(data, Math.toIntExact(base + offset), n, dtype);
        }

        float get(long i) {
            return data[base + (int) i];
        }

        void set(long i, float v) {
            data[base + (int) i] = v;
        }
    }

    private final MemoryCount memory = new MemoryCount();

    private static HostBuf h(Buf b) {
        return (HostBuf) b;
    }

    @Override
    public Buf alloc(DType type, long elements) {
        memory.allocated(elements * type.bytes);
        return new HostBuf(new float[Math.toIntExact(elements)], 0, elements, type);
    }

    @Override
    public void free(Buf b) {
        memory.freed(b.elements() * b.dtype().bytes);
    }

    @Override
    public void upload(Buf dst, float[] values) {
        if (values.length != dst.elements()) {
            throw new IllegalArgumentException("upload of " + values.length + " values into " + dst.elements());
        }
        System.arraycopy(values, 0, h(dst).data, h(dst).base, values.length);
    }

    @Override
    public float[] download(Buf src) {
        return Arrays.copyOfRange(h(src).data, h(src).base, h(src).base + (int) src.elements());
    }

    @Override
    public void copy(Buf src, Buf dst) {
        System.arraycopy(h(src).data, h(src).base, h(dst).data, h(dst).base, (int) src.elements());
    }

    @Override
    public void zero(Buf b) {
        Arrays.fill(h(b).data, h(b).base, h(b).base + (int) b.elements(), 0f);
    }

    @Override
    public void fill(Buf b, float value) {
        Arrays.fill(h(b).data, h(b).base, h(b).base + (int) b.elements(), value);
    }

    /** splitmix64's finaliser: step.cu's {@code mix}. */
    static long mix(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** step.cu's {@code uniform01}: the k-th uniform in (0, 1) of element i, from 24 bits. */
    static float uniform01(long seed, long i, int k) {
        return ((mix(seed * 0x100000001b3L + 2 * i + k) >>> 40) + 0.5f) * (1f / 16777216f);
    }

    // the counter-based draws of step.cu's fill_random: the same initial weights on every backend

    @Override
    public void fillNormal(Buf b, long seed, float std) {
        for (long i = 0; i < b.elements(); i++) {
            float u1 = uniform01(seed, i, 0), u2 = uniform01(seed, i, 1);
            h(b).set(i, (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)));
        }
    }

    @Override
    public void fillUniform(Buf b, long seed, float bound) {
        for (long i = 0; i < b.elements(); i++) {
            float u1 = uniform01(seed, i, 0);
            h(b).set(i, b.dtype() == DType.U8 ? (int) (u1 * 256f) : bound * (2f * u1 - 1f));
        }
    }

    @Override
    public void convert(Buf src, Buf dst) {
        copy(src, dst);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, long strideA,
            Buf b, int ldb, long strideB, float beta, Buf c, int ldc, long strideC, int batch) {
        HostBuf A = h(a), B = h(b), C = h(c);
        for (int p = 0; p < batch; p++) {
            long ao = p * strideA, bo = p * strideB, co = p * strideC;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) {
                        float av = transA ? A.get(ao + (long) q * lda + i) : A.get(ao + (long) i * lda + q);
                        float bv = transB ? B.get(bo + (long) j * ldb + q) : B.get(bo + (long) q * ldb + j);
                        s += av * bv;
                    }
                    long ci = co + (long) i * ldc + j;
                    C.set(ci, (float) (alpha * s + (beta == 0 ? 0 : beta * C.get(ci))));
                }
            }
        }
    }

    @Override
    public void embed(Buf ids, Buf table, Buf out, int tokens, int hidden) {
        for (int t = 0; t < tokens; t++) {
            int id = (int) h(ids).get(t);
            for (int c = 0; c < hidden; c++) {
                h(out).set((long) t * hidden + c, h(table).get((long) id * hidden + c));
            }
        }
    }

    @Override
    public void addBias(Buf y, Buf bias, int rows, int cols) {
        for (long i = 0; i < (long) rows * cols; i++) {
            h(y).set(i, h(y).get(i) + h(bias).get(i % cols));
        }
    }

    @Override
    public void rmsnorm(Buf x, Buf w, Buf y, Buf invRms, int rows, int cols, float eps) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < cols; i++) {
                float v = h(x).get((long) r * cols + i);
                s += v * v;
            }
            float inv = (float) (1 / Math.sqrt(s / cols + eps));
            h(invRms).set(r, inv);
            for (int i = 0; i < cols; i++) {
                long at = (long) r * cols + i;
                h(y).set(at, h(x).get(at) * inv * h(w).get(i));
            }
        }
    }

    @Override
    public void rmsnormBackward(Buf dy, Buf x, Buf w, Buf invRms, Buf dxAcc, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            float inv = h(invRms).get(r);
            double dot = 0;
            for (int i = 0; i < cols; i++) {
                long at = (long) r * cols + i;
                dot += h(dy).get(at) * h(w).get(i) * h(x).get(at);
            }
            double c = (double) inv * inv * inv * dot / cols;
            for (int i = 0; i < cols; i++) {
                long at = (long) r * cols + i;
                h(dxAcc).set(at, (float) (h(dxAcc).get(at) + inv * h(dy).get(at) * h(w).get(i) - c * h(x).get(at)));
            }
        }
    }

    @Override
    public void toHeads(Buf src, Buf dst, int batch, int seq, int heads, int headDim, Buf cos, Buf sin) {
        moveHeads(src, dst, batch, seq, heads, headDim, cos, sin, true);
    }

    @Override
    public void fromHeads(Buf src, Buf dst, int batch, int seq, int heads, int headDim, Buf cos, Buf sin) {
        moveHeads(src, dst, batch, seq, heads, headDim, cos, sin, false);
    }

    private static void moveHeads(Buf src, Buf dst, int batch, int seq, int heads, int hd, Buf cos, Buf sin,
            boolean toHeads) {
        int half = hd / 2;
        for (int b = 0; b < batch; b++) {
            for (int hh = 0; hh < heads; hh++) {
                for (int s = 0; s < seq; s++) {
                    long tok = ((long) (b * seq + s) * heads + hh) * hd;
                    long head = (((long) b * heads + hh) * seq + s) * hd;
                    long in = toHeads ? tok : head, out = toHeads ? head : tok;
                    for (int i = 0; i < half; i++) {
                        float x1 = h(src).get(in + i), x2 = h(src).get(in + i + half);
                        float c = cos == null ? 1 : h(cos).get((long) s * half + i);
                        float sn = cos == null ? 0 : h(sin).get((long) s * half + i);
                        if (!toHeads) {
                            sn = -sn; // the inverse rotation
                        }
                        h(dst).set(out + i, x1 * c - x2 * sn);
                        h(dst).set(out + i + half, x2 * c + x1 * sn);
                    }
                }
            }
        }
    }

    @Override
    public void causalSoftmax(Buf scores, Buf probs, long rows, int seq) {
        for (long r = 0; r < rows; r++) {
            int q = (int) (r % seq);
            long o = r * seq;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= q; j++) {
                max = Math.max(max, h(scores).get(o + j));
            }
            double sum = 0;
            for (int j = 0; j <= q; j++) {
                sum += Math.exp(h(scores).get(o + j) - max);
            }
            for (int j = 0; j < seq; j++) {
                h(probs).set(o + j, j <= q ? (float) (Math.exp(h(scores).get(o + j) - max) / sum) : 0f);
            }
        }
    }

    @Override
    public void causalSoftmaxBackward(Buf probs, Buf dProbs, Buf dScores, long rows, int seq) {
        for (long r = 0; r < rows; r++) {
            int q = (int) (r % seq);
            long o = r * seq;
            double dot = 0;
            for (int j = 0; j <= q; j++) {
                dot += h(probs).get(o + j) * h(dProbs).get(o + j);
            }
            for (int j = 0; j < seq; j++) {
                float p = h(probs).get(o + j);
                h(dScores).set(o + j, j <= q ? (float) (p * (h(dProbs).get(o + j) - dot)) : 0f);
            }
        }
    }

    @Override
    public void dequant4(Buf packed, Buf absmax, Buf code, Buf out, long n, int blockSize) {
        for (long i = 0; i < n; i++) {
            int b = (int) h(packed).get(i / 2);
            int q = i % 2 == 0 ? b >> 4 : b & 15;
            h(out).set(i, h(code).get(q) * h(absmax).get(i / blockSize));
        }
    }

    @Override
    public void dequantInt8(Buf codes, Buf rowAbsmax, Buf out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            float scale = h(rowAbsmax).get(r) / 127f;
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                h(out).set(i, (byte) (int) h(codes).get(i) * scale);
            }
        }
    }

    @Override
    public void swiglu(Buf gate, Buf up, Buf out, long n) {
        for (long i = 0; i < n; i++) {
            float g = h(gate).get(i);
            h(out).set(i, (float) (g / (1 + Math.exp(-g)) * h(up).get(i)));
        }
    }

    @Override
    public void swigluBackward(Buf dh, Buf gate, Buf up, Buf dGate, Buf dUp, long n) {
        for (long i = 0; i < n; i++) {
            double g = h(gate).get(i), u = h(up).get(i), d = h(dh).get(i);
            double sg = 1 / (1 + Math.exp(-g));
            h(dUp).set(i, (float) (d * g * sg));
            h(dGate).set(i, (float) (d * u * sg * (1 + g * (1 - sg))));
        }
    }

    @Override
    public void crossEntropy(Buf logits, Buf labels, Buf dLogits, Buf lossSum, int rows, int vocab, float scale) {
        for (int r = 0; r < rows; r++) {
            int label = (int) h(labels).get(r);
            long o = (long) r * vocab;
            if (label < 0) {
                for (int j = 0; j < vocab; j++) {
                    h(dLogits).set(o + j, 0f);
                }
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, h(logits).get(o + j));
            }
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                sum += Math.exp(h(logits).get(o + j) - max);
            }
            double lse = max + Math.log(sum);
            h(lossSum).set(0, (float) (h(lossSum).get(0) + scale * (lse - h(logits).get(o + label))));
            for (int j = 0; j < vocab; j++) {
                double p = Math.exp(h(logits).get(o + j) - lse);
                h(dLogits).set(o + j, (float) (scale * (p - (j == label ? 1 : 0))));
            }
        }
    }

    /** The keep decision of {@link Ops#dropout}: splitmix64 of (seed, index), its top 24 bits as a uniform. */
    static boolean keep(long seed, long i, float p) {
        return (mix(seed * 0x100000001b3L + i) >>> 40) * (1f / 16777216f) >= p;
    }

    @Override
    public void dropout(Buf x, Buf out, long n, long seed, float p) {
        float scale = 1f / (1f - p);
        for (long i = 0; i < n; i++) {
            h(out).set(i, keep(seed, i, p) ? h(x).get(i) * scale : 0f);
        }
    }

    @Override
    public void dropoutBackwardAdd(Buf g, Buf acc, long n, long seed, float p) {
        float scale = 1f / (1f - p);
        for (long i = 0; i < n; i++) {
            if (keep(seed, i, p)) {
                h(acc).set(i, h(acc).get(i) + h(g).get(i) * scale);
            }
        }
    }

    @Override
    public double sumOfSquares(Buf f32) {
        double s = 0;
        for (long i = 0; i < f32.elements(); i++) {
            double v = h(f32).get(i);
            s += v * v;
        }
        return s;
    }

    @Override
    public void adamw(Buf master, Buf grad, Buf m, Buf v, Buf shadow, float lr, float beta1, float beta2, float eps,
            float weightDecay, float bc1, float bc2, float gradScale) {
        for (long i = 0; i < master.elements(); i++) {
            float g = h(grad).get(i) * gradScale;
            float p = h(master).get(i);
            p -= lr * weightDecay * p;
            float mi = beta1 * h(m).get(i) + (1 - beta1) * g;
            float vi = beta2 * h(v).get(i) + (1 - beta2) * g * g;
            h(m).set(i, mi);
            h(v).set(i, vi);
            p -= lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
            h(master).set(i, p);
            h(shadow).set(i, p);
        }
    }

    @Override
    public void synchronize() {
    }

    @Override
    public MemoryCount memory() {
        return memory;
    }

    @Override
    public void close() {
    }
}
