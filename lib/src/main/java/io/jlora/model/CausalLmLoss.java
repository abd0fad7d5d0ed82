package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Causal language-model cross-entropy as transformers computes it with {@code labels=input_ids}:
 * the logits at position t predict the label at t+1 (the shift happens here), labels equal to
 * {@link #IGNORE_INDEX} do not count, and the loss is the mean over the counted tokens. Computed in
 * float32 whatever the model's type. Works under a GradientCollector.
 */
public final class CausalLmLoss {

    public static final long IGNORE_INDEX = -100;

    private CausalLmLoss() {}

    /**
     * Negative log-likelihood of each predicted token, [batch, time-1], 0 where ignored.
     *
     * @param logits [batch, time, vocab]
     * @param labels [batch, time] int64
     */
    public static NDArray tokenLosses(NDArray logits, NDArray labels) {
        long t = logits.getShape().get(1);
        NDArray shiftedLogits = logits.get(":, :" + (t - 1) + ", :").toType(DataType.FLOAT32, false);
        NDArray target = labels.get(":, 1:");
        NDArray counted = target.neq(IGNORE_INDEX).toType(DataType.FLOAT32, false);
        // ignored labels would be out-of-range indices for gather: point them at 0, then zero them
        NDArray safeTarget = target.maximum(0).expandDims(-1);
        NDArray logProbs = shiftedLogits.logSoftmax(-1).gather(safeTarget, -1).squeeze(-1);
        return logProbs.neg().mul(counted);
    }

    /** Mean over all counted tokens of the batch: a scalar. */
    public static NDArray mean(NDArray logits, NDArray labels) {
        NDArray losses = tokenLosses(logits, labels);
        NDArray counted = labels.get(":, 1:").neq(IGNORE_INDEX).toType(DataType.FLOAT32, false).sum();
        return losses.sum().div(counted.maximum(1f));
    }
}
