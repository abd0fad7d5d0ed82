package io.jlora.model;

import io.jlora.model.autograd.ProjectionCuts;
import ai.djl.ndarray.NDArray;

/** One pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)). */
final class DecoderLayer {

    final RmsNorm inputNorm;
    final Attention attention;
    final RmsNorm postAttentionNorm;
    final Mlp mlp;
    private final int index;

    DecoderLayer(int index, RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {
        this.index = index;
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache) {
        // the residual stream feeds two branches at the layer's input (norm and residual add) and
        // after attention (the output and the MLP's norm): under ProjectionCuts each is a leaf, so
        // that every part of the graph is backpropagated once
        x = ProjectionCuts.shared(x);
        NDArray h = x.add(attention.forward(inputNorm.forward(x), cos, sin, mask, cache, index));
        h = ProjectionCuts.shared(h);
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }
}
