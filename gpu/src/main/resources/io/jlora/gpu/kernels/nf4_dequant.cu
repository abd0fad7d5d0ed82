// NF4 dequantisation for QLoRA (bitsandbytes' layout, as jlora's CPU quant package reads it): each
// byte holds two 4-bit codes, high nibble first; a block of `blocksize` weights shares one absmax.
// Output is bf16, ready for cuBLAS. Compiled by NVRTC at first use for the device's architecture and
// cached under the kernel cache folder, keyed by the SHA-256 of this source + arch + NVRTC version +
// options.
#include <cuda_bf16.h>

// The 16 NF4 levels (normal-float quantiles, QLoRA paper appendix / bitsandbytes).
__constant__ float NF4_LEVELS[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

// One thread per packed byte (two weights). absmax is fp32 (double quantisation already undone).
extern "C" __global__ void nf4_dequant(const unsigned char* __restrict__ packed,
                                       const float* __restrict__ absmax,
                                       __nv_bfloat16* __restrict__ out,
                                       long long n_bytes, int blocksize) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n_bytes;
         i += (long long) gridDim.x * blockDim.x) {
        const unsigned char b = packed[i];
        const long long w = 2 * i;
        out[w] = __float2bfloat16(NF4_LEVELS[b >> 4] * absmax[w / blocksize]);
        out[w + 1] = __float2bfloat16(NF4_LEVELS[b & 15] * absmax[(w + 1) / blocksize]);
    }
}
