package io.jlora.model;

import io.jlora.model.autograd.IntermediateArrays;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * Gated feed-forward: down(act(gate(x)) * up(x)), act silu (SwiGLU) or gelu-tanh (Gemma's GeGLU).
 * Phi-3 fuses gate and up into one {@code gate_up_proj} whose output halves are gate, then up.
 */
final class Mlp {

    /** gelu-tanh's constants: sqrt(2 / pi) and the cubic term's weight, as torch's approximate="tanh". */
    private static final double GELU_SCALE = Math.sqrt(2 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    final LinearSlot gateProj;
    final LinearSlot upProj;
    final LinearSlot downProj;
    private final FamilyOptions.Activation activation;

    /** Separate gate and up projections; {@code up} null when {@code gate} is the fused gate_up_proj. */
    Mlp(LinearSlot gate, LinearSlot up, LinearSlot down, FamilyOptions.Activation activation) {
        this.gateProj = gate;
        this.upProj = up;
        this.downProj = down;
        this.activation = activation;
    }

    NDArray forward(NDArray x) {
        return forward(x, false);
    }

    /** {@code outputUnread}: the result will only be backpropagated ({@link LinearSlot#forwardUnread}). */
    NDArray forward(NDArray x, boolean outputUnread) {
        NDArray gate;
        NDArray up;
        if (upProj == null) {
            NDArray both = gateProj.forward(x);
            NDList halves = both.split(2, both.getShape().dimension() - 1);
            gate = halves.get(0);
            up = halves.get(1);
        } else {
            gate = gateProj.forward(x);
            up = upProj.forward(x);
        }
        NDArray act = activation == FamilyOptions.Activation.SILU ? gate.mul(Activation.sigmoid(gate)) : geluTanh(gate);
        NDArray product = act.mul(up);
        NDArray out = outputUnread ? downProj.forwardUnread(product) : downProj.forward(product);
        // not product: a quantized down_proj keeps its input as the source of a ProjectionCuts cut
        IntermediateArrays.close(act);
        return out;
    }

    /**
     * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Its scalars are libtorch arrays: a Java
     * Number's buffer would be freed while autograd still holds it (see {@code io.jlora.train.Scalars}).
     */
    static NDArray geluTanh(NDArray x) {
        NDArray cube = x.mul(x).mul(x);
        NDArray inner = x.add(cube.mul(scalar(x, GELU_CUBIC))).mul(scalar(x, GELU_SCALE));
        NDArray onePlus = inner.tanh().add(scalar(x, 1.0));
        NDArray out = x.mul(onePlus).mul(scalar(x, 0.5));
        IntermediateArrays.close(cube, inner, onePlus);
        return out;
    }

    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }
}
