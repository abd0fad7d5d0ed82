package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torch.optim.AdamW, step for step as its single-tensor implementation computes it (the one torch
 * uses for CPU tensors): decoupled weight decay {@code p *= 1 - lr*wd}; {@code m.lerp_(g, 1-beta1)};
 * {@code v = v*beta2 + (1-beta2)*g*g}; bias corrections {@code 1-beta^t}; and eps added outside the
 * square root: {@code p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)}. Scalars are computed in double
 * and applied in the parameter's float type, as torch does with Python floats.
 *
 * <p>State (exp_avg, exp_avg_sq per parameter, and the step count) lives in this object's manager
 * and is created on the first step. Parameters are updated in place through detached aliases.
 */
public final class AdamW implements AutoCloseable {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray[]> state = new LinkedHashMap<>();
    private long steps;

    /** @param parent the manager under which the optimizer state is kept (e.g. the model's) */
    public AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
    }

    /** Optimizer steps taken (torch's state['step']). */
    public long steps() {
        return steps;
    }

    /**
     * One update of every parameter in {@code parameters} from its gradient in {@code gradients}
     * (same names), with learning rate {@code lr}. Gradients are not changed.
     */
    public void step(Map<String, NDArray> parameters, Map<String, NDArray> gradients, double lr) {
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2 = 1 - Math.pow(beta2, steps);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        float lerpWeight = (float) (1 - beta1);
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray grad = gradients.get(e.getKey());
            if (grad == null) {
                continue;
            }
            // one parameter's temporaries at a time: with every weight trainable (full fine-tuning)
            // holding them all to the end of the step would add several copies of the model
            try (NDManager tmp = manager.newSubManager()) {
                NDArray p = Autograd.data(e.getValue(), tmp);
                NDArray g = grad.getDataType() == DataType.FLOAT32 ? grad : own(tmp, grad.toType(DataType.FLOAT32, false));
                NDArray[] mv = state(e.getKey(), e.getValue());
                NDArray m = mv[0];
                NDArray v = mv[1];
                if (weightDecay != 0) {
                    p.muli((float) (1 - lr * weightDecay));
                }
                // torch's lerp kernel: weight < 0.5 ? self + w*(end-self) : end - (end-self)*(1-w)
                NDArray diff = own(tmp, g.sub(m));
                if (lerpWeight < 0.5f) {
                    m.addi(diff.muli(lerpWeight));
                } else {
                    NDArray next = own(tmp, g.sub(diff.muli(1 - lerpWeight)));
                    Autograd.assign(m, next, tmp);
                }
                v.muli((float) beta2).addi(own(tmp, g.mul((float) (1 - beta2))).muli(g));
                NDArray denom = own(tmp, v.sqrt()).divi((float) bc2Sqrt).addi((float) eps);
                // addcdiv_(m, denom, value=-step_size): torch evaluates value * m / denom left to right
                NDArray update = own(tmp, m.mul((float) -stepSize)).divi(denom);
                if (p.getDataType() == DataType.FLOAT32) {
                    p.addi(update);
                } else {
                    // a half-precision parameter: its own type, as torch's addcdiv_ on it
                    p.addi(own(tmp, update.toType(p.getDataType(), false)));
                }
            }
        }
    }

    /** exp_avg and exp_avg_sq of each parameter, by "exp_avg.NAME" / "exp_avg_sq.NAME" (the live arrays). */
    public Map<String, NDArray> stateArrays() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        state.forEach((name, mv) -> {
            out.put("exp_avg." + name, mv[0]);
            out.put("exp_avg_sq." + name, mv[1]);
        });
        return out;
    }

    /** Restores state saved from {@link #stateArrays()} and {@link #steps()} (copies the values). */
    public void load(Map<String, NDArray> arrays, long stepCount, Map<String, NDArray> parameters) {
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray m = arrays.get("exp_avg." + e.getKey());
            NDArray v = arrays.get("exp_avg_sq." + e.getKey());
            if (m == null || v == null) {
                if (stepCount == 0) {
                    continue;
                }
                throw new JloraException("optimizer state has no exp_avg/exp_avg_sq for " + e.getKey());
            }
            NDArray[] mv = state(e.getKey(), e.getValue());
            try (NDManager tmp = manager.newSubManager()) {
                Autograd.assign(mv[0], m.toType(DataType.FLOAT32, false), tmp);
                Autograd.assign(mv[1], v.toType(DataType.FLOAT32, false), tmp);
            }
        }
        this.steps = stepCount;
    }

    private NDArray[] state(String name, NDArray parameter) {
        return state.computeIfAbsent(name, k -> new NDArray[] {
                manager.zeros(parameter.getShape(), DataType.FLOAT32, parameter.getDevice()),
                manager.zeros(parameter.getShape(), DataType.FLOAT32, parameter.getDevice())});
    }

    private static NDArray own(NDManager m, NDArray a) {
        a.attach(m);
        return a;
    }

    @Override
    public void close() {
        manager.close();
    }
}
