package io.jlora.train;

import ai.djl.ndarray.NDManager;
import java.util.Map;

/** What differs between objectives (SFT, DPO): collating examples and the loss of a micro-batch. */
abstract class Task {

    /** Training examples. */
    abstract int trainSize();

    /** Held-out examples. */
    abstract int evalSize();

    /** Train (or eval) examples at {@code indices}, padded. */
    abstract MicroBatch collate(int[] indices, boolean eval, long padId);

    /** Dropout during training steps (DPO turns it off, as TRL does). */
    abstract boolean dropout();

    /** The objective's name, as checkpoints record it ("sft", "dpo"). */
    abstract String objective();

    /**
     * Called once by the trainer before any update, with the weights it starts from (DPO without a
     * reference mode computes its reference log-probs here); nothing by default.
     */
    void beforeFirstUpdate(TrainableModel model, NDManager root, TrainerConfig config) {}

    /**
     * Forward and backward of one micro-batch; gradients accumulate. The loss backpropagated is the
     * micro-batch's sum over its units divided by {@code stepUnits} (all units of the step), so
     * that the step's loss is the mean over the step. Returns this micro-batch's share of it and
     * adds objective-specific sums to {@code extra}.
     */
    abstract double forwardBackward(TrainableModel model, Backprop backprop, NDManager step, MicroBatch batch,
            double stepUnits, long seed, Map<String, Double> extra);

    /** Loss sum and unit count of an eval micro-batch, without gradients; adds extras to {@code extra}. */
    abstract double[] evalSums(TrainableModel model, NDManager scope, MicroBatch batch, Map<String, Double> extra);

    /** Turns the extras summed over units into means. */
    Map<String, Double> means(Map<String, Double> sums, double units) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        sums.forEach((k, v) -> out.put(k, units > 0 ? v / units : Double.NaN));
        return out;
    }
}
