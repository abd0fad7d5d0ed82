// Fused AdamW over the whole flat LoRA buffer (io.jlora.gpu.FlatParameters): one launch updates every
// trainable weight, its two moments and the bf16 copy the GEMMs read. Gradient clipping is folded in
// as grad_scale = min(1, max_norm / global_norm), computed beforehand by step.cu's sum_squares.
// Compiled by NVRTC at first use for the device's architecture and cached under the kernel cache
// folder, keyed by the SHA-256 of this source + arch + NVRTC version + options.
#include <cuda_bf16.h>

// Matches torch.optim.AdamW: decoupled weight decay, bias corrections bc1 = 1 - beta1^t and
// bc2 = 1 - beta2^t passed in from the host (step t counted there).
extern "C" __global__ void adamw_step(float* __restrict__ master,
                                      const float* __restrict__ grad,
                                      float* __restrict__ m,
                                      float* __restrict__ v,
                                      __nv_bfloat16* __restrict__ shadow,
                                      long long n,
                                      float lr, float beta1, float beta2, float eps, float weight_decay,
                                      float bc1, float bc2, float grad_scale) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n;
         i += (long long) gridDim.x * blockDim.x) {
        const float g = grad[i] * grad_scale;
        float p = master[i];
        p -= lr * weight_decay * p;
        const float mi = beta1 * m[i] + (1.f - beta1) * g;
        const float vi = beta2 * v[i] + (1.f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        p -= lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
        master[i] = p;
        shadow[i] = __float2bfloat16(p);
    }
}
