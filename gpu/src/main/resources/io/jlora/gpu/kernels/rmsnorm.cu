// RMSNorm forward over bf16 rows: y = x / sqrt(mean(x^2) + eps) * weight, fp32 accumulation.
// Compiled by NVRTC at first use for the device's architecture (e.g. --gpu-architecture=sm_90) and
// cached as PTX under the kernel cache folder, keyed by the SHA-256 of this source + arch + NVRTC
// version + options (see io.jlora.gpu.KernelCache). No host headers: NVRTC compiles this alone.
#include <cuda_bf16.h>

// One block per row; blockDim.x a power of two <= 1024, launched with blockDim.x * 4 bytes of dynamic
// shared memory. inv_rms[row] is kept for the backward pass.
extern "C" __global__ void rmsnorm_forward(const __nv_bfloat16* __restrict__ x,
                                           const __nv_bfloat16* __restrict__ weight,
                                           __nv_bfloat16* __restrict__ y,
                                           float* __restrict__ inv_rms,
                                           int cols, float eps) {
    extern __shared__ float partial[];
    const int row = blockIdx.x;
    const __nv_bfloat16* xr = x + (size_t) row * cols;
    __nv_bfloat16* yr = y + (size_t) row * cols;

    float sum = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float v = __bfloat162float(xr[i]);
        sum += v * v;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) {
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        }
        __syncthreads();
    }
    const float r = rsqrtf(partial[0] / cols + eps);
    if (threadIdx.x == 0) {
        inv_rms[row] = r;
    }
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float v = __bfloat162float(xr[i]) * r;
        // Llama/HF order: normalise in fp32, cast to bf16, then scale by the weight
        yr[i] = __float2bfloat16(__bfloat162float(__float2bfloat16(v)) * __bfloat162float(weight[i]));
    }
}
