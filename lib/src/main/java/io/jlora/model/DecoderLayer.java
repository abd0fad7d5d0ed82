package io.jlora.model;

import io.jlora.model.autograd.ProjectionCuts;
import ai.djl.ndarray.NDArray;

/**
 * One transformer block: h = x + attnOut(attn(attnIn(x))), then h + mlpOut(mlp(mlpIn(h))). Each of
 * the four norms may be absent ({@link FamilyOptions.NormPlacement}): Llama has the two inputs
 * (pre-norm), Gemma all four (sandwich), OLMo 2 the two outputs.
 */
final class DecoderLayer {

    final RmsNorm attnIn;
    final Attention attention;
    final RmsNorm attnOut;
    final RmsNorm mlpIn;
    final Mlp mlp;
    final RmsNorm mlpOut;
    private final int index;

    DecoderLayer(int index, RmsNorm attnIn, Attention attention, RmsNorm attnOut, RmsNorm mlpIn, Mlp mlp,
            RmsNorm mlpOut) {
        this.index = index;
        this.attnIn = attnIn;
        this.attention = attention;
        this.attnOut = attnOut;
        this.mlpIn = mlpIn;
        this.mlp = mlp;
        this.mlpOut = mlpOut;
    }

    NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache) {
        // the residual stream feeds two branches at the layer's input (norm and residual add) and
        // after attention (the output and the MLP's norm): under ProjectionCuts each is a leaf, so
        // that every part of the graph is backpropagated once
        x = ProjectionCuts.shared(x);
        NDArray h = x.add(norm(attnOut, attention.forward(norm(attnIn, x), cos, sin, mask, cache, index)));
        h = ProjectionCuts.shared(h);
        // recomputed for its backward, the layer's output is never read; with no norm after the MLP,
        // neither is down_proj's base output (ProjectionCuts' unread outputs)
        boolean mlpUnread = mlpOut == null && ProjectionCuts.layerOutputUnread();
        return h.add(norm(mlpOut, mlp.forward(norm(mlpIn, h), mlpUnread)));
    }

    private static NDArray norm(RmsNorm norm, NDArray x) {
        return norm == null ? x : norm.forward(x);
    }
}
