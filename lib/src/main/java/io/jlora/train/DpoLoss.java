package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import io.jlora.model.CausalLmLoss;

/**
 * DPO's sigmoid loss as TRL computes it (loss_type="sigmoid", no label smoothing): with log-probs
 * summed over completion tokens, {@code z = beta * ((policy_chosen - ref_chosen) - (policy_rejected -
 * ref_rejected))} and {@code loss = -logsigmoid(z)}; rewards are {@code beta * (policy - ref)}.
 */
public final class DpoLoss {

    private DpoLoss() {}

    /**
     * Sum of log-probabilities of each sequence's counted tokens: [batch], float32. Labels are the
     * ids with -100 over the prompt and padding (position t's logits predict token t+1).
     */
    public static NDArray sequenceLogProbs(NDArray logits, NDArray labels) {
        return CausalLmLoss.tokenLosses(logits, labels).sum(new int[] {1}).neg();
    }

    /**
     * -logsigmoid(z) = softplus(-z), libtorch's (stable, and smooth at 0: the gradient there is
     * 1/2 as logsigmoid's, where max/abs formulations give 0 and would never leave z = 0, the
     * start when the adapter's B is zero).
     */
    public static NDArray loss(NDArray z) {
        return Activation.softPlus(z.neg());
    }

    /** The loss of one pair from its four log-probabilities. */
    public static double loss(double policyChosen, double policyRejected, double refChosen, double refRejected,
            double beta) {
        double z = beta * ((policyChosen - refChosen) - (policyRejected - refRejected));
        return Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    static NDArray asFloat(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    }
}
