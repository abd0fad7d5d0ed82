// The kernels of the GPU LoRA step (io.jlora.gpu.train.CudaOps); each mirrors one method of
// io.jlora.gpu.train.Ops, whose Javadoc is the contract, and io.jlora.gpu.train.HostOps is the fp32
// reference they are checked against. Activations are bf16, arithmetic fp32. Row kernels take one
// block per row (blockDim a multiple of 32); element kernels use grid-stride loops.
// Compiled by NVRTC at first use for the device's architecture and cached (io.jlora.gpu.KernelCache).
#include <cuda_bf16.h>

typedef __nv_bfloat16 bf16;

// NVRTC compiles without the host math headers, so no INFINITY macro
#define NEG_INF __int_as_float(0xff800000)

__device__ __forceinline__ float f(bf16 v) { return __bfloat162float(v); }
__device__ __forceinline__ bf16 b(float v) { return __float2bfloat16(v); }

#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); \
         i += (long long) gridDim.x * blockDim.x)

// Sum over the block; every thread gets the result. sh: 32 floats of shared memory.
__device__ float block_sum(float v, float* sh) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();  // sh may still be read by a previous call
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        float w = threadIdx.x < (blockDim.x >> 5) ? sh[threadIdx.x] : 0.f;
        for (int o = 16; o > 0; o >>= 1) w += __shfl_xor_sync(0xffffffffu, w, o);
        if (threadIdx.x == 0) sh[0] = w;
    }
    __syncthreads();
    return sh[0];
}

__device__ float block_max(float v, float* sh) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    __syncthreads();
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        float w = threadIdx.x < (blockDim.x >> 5) ? sh[threadIdx.x] : NEG_INF;
        for (int o = 16; o > 0; o >>= 1) w = fmaxf(w, __shfl_xor_sync(0xffffffffu, w, o));
        if (threadIdx.x == 0) sh[0] = w;
    }
    __syncthreads();
    return sh[0];
}

extern "C" __global__ void embed(const int* __restrict__ ids, const bf16* __restrict__ table,
                                 bf16* __restrict__ out, long long tokens, int hidden) {
    GRID_STRIDE(i, tokens * hidden) {
        const long long t = i / hidden;
        out[i] = table[(long long) ids[t] * hidden + (i - t * hidden)];
    }
}

extern "C" __global__ void add_bias(bf16* __restrict__ y, const bf16* __restrict__ bias, long long n, int cols) {
    GRID_STRIDE(i, n) y[i] = b(f(y[i]) + f(bias[i % cols]));
}

// transformers' LlamaRMSNorm: normalise in fp32, round to bf16, multiply by the weight.
extern "C" __global__ void rmsnorm(const bf16* __restrict__ x, const bf16* __restrict__ w, bf16* __restrict__ y,
                                   float* __restrict__ inv_rms, int cols, float eps) {
    __shared__ float sh[32];
    const long long row = blockIdx.x;
    const bf16* xr = x + row * cols;
    bf16* yr = y + row * cols;
    float s = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        const float v = f(xr[i]);
        s += v * v;
    }
    s = block_sum(s, sh);
    const float r = rsqrtf(s / cols + eps);
    if (threadIdx.x == 0) inv_rms[row] = r;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        yr[i] = b(f(b(f(xr[i]) * r)) * f(w[i]));
    }
}

// dx = r * w * dy - x * r^3 * mean(w * dy * x), added to dres.
extern "C" __global__ void rmsnorm_backward(const bf16* __restrict__ dy, const bf16* __restrict__ x,
                                            const bf16* __restrict__ w, const float* __restrict__ inv_rms,
                                            bf16* __restrict__ dres, int cols) {
    __shared__ float sh[32];
    const long long row = blockIdx.x;
    const bf16* dyr = dy + row * cols;
    const bf16* xr = x + row * cols;
    bf16* dr = dres + row * cols;
    const float r = inv_rms[row];
    float dot = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dot += f(dyr[i]) * f(w[i]) * f(xr[i]);
    dot = block_sum(dot, sh);
    const float c = r * r * r * dot / cols;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        dr[i] = b(f(dr[i]) + r * f(dyr[i]) * f(w[i]) - c * f(xr[i]));
    }
}

// Token-major [batch*seq, heads*hd] <-> head-major [batch, heads, seq, hd], one thread per rotary pair
// (i, i + hd/2). to_heads rotates by +angle (rotate != 0), from_heads by -angle (the gradient).
__device__ __forceinline__ void move_pair(const bf16* src, bf16* dst, long long idx, int batch, int seq,
                                          int heads, int hd, const float* cos_t, const float* sin_t,
                                          int rotate, int to_heads) {
    const int half = hd >> 1;
    const int i = (int) (idx % half);
    long long rest = idx / half;
    const int s = (int) (rest % seq);
    rest /= seq;
    const int h = (int) (rest % heads);
    const long long bt = rest / heads;
    const long long tok = ((bt * seq + s) * heads + h) * hd;
    const long long head = ((bt * heads + h) * seq + s) * hd;
    const bf16* in = src + (to_heads ? tok : head);
    bf16* out = dst + (to_heads ? head : tok);
    const float x1 = f(in[i]), x2 = f(in[i + half]);
    float c = 1.f, sn = 0.f;
    if (rotate) {
        c = cos_t[(long long) s * half + i];
        sn = sin_t[(long long) s * half + i];
        if (!to_heads) sn = -sn;
    }
    out[i] = b(x1 * c - x2 * sn);
    out[i + half] = b(x2 * c + x1 * sn);
}

extern "C" __global__ void to_heads(const bf16* __restrict__ src, bf16* __restrict__ dst, int batch, int seq,
                                    int heads, int hd, const float* __restrict__ cos_t,
                                    const float* __restrict__ sin_t, int rotate) {
    GRID_STRIDE(idx, (long long) batch * seq * heads * (hd >> 1)) {
        move_pair(src, dst, idx, batch, seq, heads, hd, cos_t, sin_t, rotate, 1);
    }
}

extern "C" __global__ void from_heads(const bf16* __restrict__ src, bf16* __restrict__ dst, int batch, int seq,
                                      int heads, int hd, const float* __restrict__ cos_t,
                                      const float* __restrict__ sin_t, int rotate) {
    GRID_STRIDE(idx, (long long) batch * seq * heads * (hd >> 1)) {
        move_pair(src, dst, idx, batch, seq, heads, hd, cos_t, sin_t, rotate, 0);
    }
}

// Row r of scores is query position r % seq; keys after it get probability 0.
extern "C" __global__ void causal_softmax(const float* __restrict__ scores, bf16* __restrict__ probs, int seq) {
    __shared__ float sh[32];
    const long long row = blockIdx.x;
    const int q = (int) (row % seq);
    const float* sr = scores + row * seq;
    bf16* pr = probs + row * seq;
    float m = NEG_INF;
    for (int j = threadIdx.x; j <= q; j += blockDim.x) m = fmaxf(m, sr[j]);
    m = block_max(m, sh);
    float s = 0.f;
    for (int j = threadIdx.x; j <= q; j += blockDim.x) s += expf(sr[j] - m);
    s = block_sum(s, sh);
    const float inv = 1.f / s;
    for (int j = threadIdx.x; j < seq; j += blockDim.x) pr[j] = b(j <= q ? expf(sr[j] - m) * inv : 0.f);
}

// dS = P * (dP - sum(P * dP)); ds may alias probs (each thread reads its own elements before writing them).
extern "C" __global__ void causal_softmax_backward(const bf16* probs, const float* __restrict__ dprobs, bf16* ds,
                                                   int seq) {
    __shared__ float sh[32];
    const long long row = blockIdx.x;
    const int q = (int) (row % seq);
    const bf16* pr = probs + row * seq;
    const float* dr = dprobs + row * seq;
    bf16* out = ds + row * seq;
    float dot = 0.f;
    for (int j = threadIdx.x; j <= q; j += blockDim.x) dot += f(pr[j]) * dr[j];
    dot = block_sum(dot, sh);
    for (int j = threadIdx.x; j < seq; j += blockDim.x) {
        const float p = f(pr[j]);
        out[j] = b(j <= q ? p * (dr[j] - dot) : 0.f);
    }
}

extern "C" __global__ void swiglu(const bf16* __restrict__ gate, const bf16* __restrict__ up, bf16* __restrict__ h,
                                  long long n) {
    GRID_STRIDE(i, n) {
        const float g = f(gate[i]);
        h[i] = b(g / (1.f + expf(-g)) * f(up[i]));
    }
}

extern "C" __global__ void swiglu_backward(const bf16* __restrict__ dh, const bf16* __restrict__ gate,
                                           const bf16* __restrict__ up, bf16* __restrict__ dgate,
                                           bf16* __restrict__ dup, long long n) {
    GRID_STRIDE(i, n) {
        const float g = f(gate[i]), u = f(up[i]), d = f(dh[i]);
        const float sg = 1.f / (1.f + expf(-g));
        dup[i] = b(d * g * sg);
        dgate[i] = b(d * u * sg * (1.f + g * (1.f - sg)));
    }
}

// One row of fp32 logits per block: loss (scaled) into *loss_sum, scale * (softmax - onehot) into dlogits.
extern "C" __global__ void cross_entropy(const float* __restrict__ logits, const int* __restrict__ labels,
                                         bf16* __restrict__ dlogits, float* __restrict__ loss_sum, int vocab,
                                         float scale) {
    __shared__ float sh[32];
    const long long row = blockIdx.x;
    const int label = labels[row];
    const float* lr = logits + row * vocab;
    bf16* dr = dlogits + row * vocab;
    if (label < 0) {
        for (int j = threadIdx.x; j < vocab; j += blockDim.x) dr[j] = b(0.f);
        return;
    }
    float m = NEG_INF;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) m = fmaxf(m, lr[j]);
    m = block_max(m, sh);
    float s = 0.f;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) s += expf(lr[j] - m);
    s = block_sum(s, sh);
    const float lse = m + logf(s);
    if (threadIdx.x == 0) atomicAdd(loss_sum, scale * (lse - lr[label]));
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
        dr[j] = b(scale * (expf(lr[j] - lse) - (j == label ? 1.f : 0.f)));
    }
}

// Sum of squares into *out (zeroed by the host), fp32 per thread, one atomic per warp.
extern "C" __global__ void sum_squares(const float* __restrict__ x, long long n, float* __restrict__ out) {
    float s = 0.f;
    GRID_STRIDE(i, n) s += x[i] * x[i];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    if ((threadIdx.x & 31) == 0) atomicAdd(out, s);
}

extern "C" __global__ void fill_bf16(bf16* __restrict__ out, long long n, float value) {
    GRID_STRIDE(i, n) out[i] = b(value);
}

extern "C" __global__ void fill_f32(float* __restrict__ out, long long n, float value) {
    GRID_STRIDE(i, n) out[i] = value;
}

extern "C" __global__ void f32_to_bf16(const float* __restrict__ in, bf16* __restrict__ out, long long n) {
    GRID_STRIDE(i, n) out[i] = b(in[i]);
}

extern "C" __global__ void bf16_to_f32(const bf16* __restrict__ in, float* __restrict__ out, long long n) {
    GRID_STRIDE(i, n) out[i] = f(in[i]);
}

// splitmix64 of (seed, index): a counter-based generator, the same values for any launch shape.
__device__ __forceinline__ unsigned long long mix(unsigned long long z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

__device__ __forceinline__ float uniform01(unsigned long long seed, long long i, int k) {
    return ((mix(seed * 0x100000001b3ull + 2ull * i + k) >> 40) + 0.5f) * (1.f / 16777216.f);
}

// The dropout mask of io.jlora.gpu.train.HostOps.keep: splitmix64 of (seed, index), top 24 bits.
__device__ __forceinline__ bool keep(unsigned long long seed, long long i, float p) {
    return (mix(seed * 0x100000001b3ull + (unsigned long long) i) >> 40) * (1.f / 16777216.f) >= p;
}

extern "C" __global__ void dropout(const bf16* __restrict__ x, bf16* __restrict__ out, long long n,
                                   unsigned long long seed, float p) {
    const float scale = 1.f / (1.f - p);
    GRID_STRIDE(i, n) out[i] = b(keep(seed, i, p) ? f(x[i]) * scale : 0.f);
}

extern "C" __global__ void dropout_backward_add(const bf16* __restrict__ g, bf16* __restrict__ acc, long long n,
                                                unsigned long long seed, float p) {
    const float scale = 1.f / (1.f - p);
    GRID_STRIDE(i, n) if (keep(seed, i, p)) acc[i] = b(f(acc[i]) + f(g[i]) * scale);
}

// kind 0: normal(0, scale) by Box-Muller; kind 1: uniform in [-scale, scale). out_type: 0 f32, 1 bf16, 2 u8
// (uniform bytes, for benchmark 4-bit weights).
extern "C" __global__ void fill_random(void* __restrict__ out, long long n, unsigned long long seed, float scale,
                                       int kind, int out_type) {
    GRID_STRIDE(i, n) {
        const float u1 = uniform01(seed, i, 0), u2 = uniform01(seed, i, 1);
        const float v = kind == 0 ? scale * sqrtf(-2.f * logf(u1)) * cospif(2.f * u2) : scale * (2.f * u1 - 1.f);
        if (out_type == 1) ((bf16*) out)[i] = b(v);
        else if (out_type == 2) ((unsigned char*) out)[i] = (unsigned char) (u1 * 256.f);
        else ((float*) out)[i] = v;
    }
}

// LLM.int8's layout: signed byte codes, one absmax per output row; w = code * (absmax / 127).
extern "C" __global__ void dequant_int8(const signed char* __restrict__ codes, const float* __restrict__ row_absmax,
                                        bf16* __restrict__ out, long long n, int cols) {
    GRID_STRIDE(i, n) out[i] = b((float) codes[i] * (row_absmax[i / cols] / 127.f));
}

// bitsandbytes' 4-bit layout: two codes a byte, high nibble first; one absmax per block of blocksize.
// One thread per byte; code: the 16 levels (NF4 or FP4) from the host, so the table has one source.
extern "C" __global__ void dequant_4bit(const unsigned char* __restrict__ packed, const float* __restrict__ absmax,
                                        const float* __restrict__ code, bf16* __restrict__ out, long long n,
                                        int blocksize) {
    GRID_STRIDE(i, (n + 1) / 2) {
        const unsigned char q = packed[i];
        const long long w = 2 * i;
        out[w] = b(code[q >> 4] * absmax[w / blocksize]);
        if (w + 1 < n) out[w + 1] = b(code[q & 15] * absmax[(w + 1) / blocksize]);
    }
}
