package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** SwiGLU feed-forward: down(silu(gate(x)) * up(x)). */
final class Mlp {

    final LinearSlot gateProj;
    final LinearSlot upProj;
    final LinearSlot downProj;

    Mlp(LinearSlot gate, LinearSlot up, LinearSlot down) {
        this.gateProj = gate;
        this.upProj = up;
        this.downProj = down;
    }

    NDArray forward(NDArray x) {
        NDArray gate = gateProj.forward(x);
        NDArray silu = gate.mul(Activation.sigmoid(gate));
        return downProj.forward(silu.mul(upProj.forward(x)));
    }
}
