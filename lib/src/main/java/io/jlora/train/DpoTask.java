package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;
import io.jlora.data.PreferenceExample;
import io.jlora.model.CausalLmLoss;
import io.jlora.model.autograd.GradRecording;
import java.util.List;
import java.util.Map;

/**
 * Direct preference optimisation with TRL's sigmoid loss. A micro-batch of B pairs is one forward
 * over 2B sequences (chosen ones, then rejected ones: TRL's concatenated forward); the reference
 * log-probs come from the same model in its reference mode (adapter disabled), without gradients,
 * so no second copy of the base is needed. A model without a reference mode (full fine-tuning)
 * gets them from {@link #precomputeReference}: every pair's, once, from the initial weights (TRL's
 * precompute_ref_log_probs), two floats a pair instead of a frozen copy of the model. Dropout is off
 * (TRL's disable_dropout).
 */
final class DpoTask extends ListTask<PreferenceExample> {

    static final String REWARD_CHOSEN = "rewards/chosen";
    static final String REWARD_REJECTED = "rewards/rejected";
    static final String REWARD_MARGIN = "rewards/margins";
    static final String REWARD_ACCURACY = "rewards/accuracies";

    private final double beta;
    /** Precomputed reference log-probs (chosen, rejected) per train / eval pair, or null: the model's reference mode. */
    private float[][] trainReference;
    private float[][] evalReference;

    DpoTask(List<PreferenceExample> train, List<PreferenceExample> eval, double beta) {
        super(train, eval);
        this.beta = beta;
    }

    @Override
    boolean dropout() {
        return false;
    }

    @Override
    String objective() {
        return "dpo";
    }

    /** A model without a reference mode: the reference is the model the trainer starts from. */
    @Override
    void beforeFirstUpdate(TrainableModel model, NDManager root, TrainerConfig config) {
        if (!model.hasReferenceMode()) {
            precomputeReference(model, root, config.batchSize(), config.padTokenId());
        }
    }

    @Override
    MicroBatch collate(int[] indices, boolean fromEval, long padId) {
        List<PreferenceExample> source = examples(fromEval);
        int pairs = indices.length;
        int width = 0;
        for (int i : indices) {
            width = Math.max(width, source.get(i).length());
        }
        long[][] ids = new long[2 * pairs][width];
        long[][] labels = new long[2 * pairs][width];
        long tokens = 0;
        for (int r = 0; r < pairs; r++) {
            PreferenceExample e = source.get(indices[r]);
            tokens += fill(ids[r], labels[r], e.prompt(), e.chosen(), padId);
            tokens += fill(ids[pairs + r], labels[pairs + r], e.prompt(), e.rejected(), padId);
        }
        return new MicroBatch(ids, labels, tokens, pairs, indices.clone(), fromEval);
    }

    private static int fill(long[] ids, long[] labels, long[] prompt, long[] completion, long padId) {
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(labels, CausalLmLoss.IGNORE_INDEX);
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        System.arraycopy(completion, 0, labels, prompt.length, completion.length);
        return prompt.length + completion.length;
    }

    @Override
    double forwardBackward(TrainableModel model, Backprop backprop, NDManager step, MicroBatch batch, double stepUnits,
            long seed, Map<String, Double> extra) {
        float[] reference = referenceLogProbs(model, step, batch);
        NDArray ids = step.create(batch.ids());
        NDArray labels = step.create(batch.labels());
        float[][] policy = new float[1][];
        double scale = 1.0 / Math.max(1.0, stepUnits);
        double loss = backprop.run(step, ids, logits -> {
            NDArray logps = DpoLoss.sequenceLogProbs(logits, labels);
            policy[0] = logps.toFloatArray();
            NDArray ref = logps.getManager().create(reference);
            NDArray sum = pairLosses(logps, ref).sum();
            return sum.mul(Scalars.of(sum, scale));
        }, seed);
        addRewards(policy[0], reference, extra);
        return loss;
    }

    @Override
    double[] evalSums(TrainableModel model, NDManager scope, MicroBatch batch, Map<String, Double> extra) {
        float[] reference = referenceLogProbs(model, scope, batch);
        NDArray ids = scope.create(batch.ids());
        NDArray labels = scope.create(batch.labels());
        NDArray logps = DpoLoss.sequenceLogProbs(model.decoder().forward(ids), labels);
        NDArray losses = pairLosses(logps, logps.getManager().create(reference));
        addRewards(logps.toFloatArray(), reference, extra);
        return new double[] {losses.sum().getFloat(), batch.units()};
    }

    /** -logsigmoid(beta * ((pc - rc) - (pr - rr))) per pair. */
    private NDArray pairLosses(NDArray logps, NDArray ref) {
        long pairs = logps.getShape().get(0) / 2;
        NDArray ratios = logps.sub(ref);
        NDArray margin = ratios.get("0:" + pairs).sub(ratios.get(pairs + ":"));
        NDArray z = margin.mul(Scalars.of(margin, beta));
        return DpoLoss.loss(z);
    }

    /**
     * Computes the reference log-probs of every train and eval pair with the model as it is now (no
     * gradients, dropout off), {@code batchSize} pairs a forward; later steps read them instead of
     * calling the model's reference mode.
     */
    private void precomputeReference(TrainableModel model, NDManager parent, int batchSize, long padId) {
        trainReference = precompute(model, parent, trainSize(), false, batchSize, padId);
        evalReference = precompute(model, parent, evalSize(), true, batchSize, padId);
    }

    private float[][] precompute(TrainableModel model, NDManager parent, int size, boolean fromEval, int batchSize,
            long padId) {
        float[][] out = new float[size][];
        model.training(false);
        try (GradRecording.Scope off = Autograd.recording(false)) {
            for (int from = 0; from < size; from += batchSize) {
                int[] idx = new int[Math.min(batchSize, size - from)];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = from + i;
                }
                MicroBatch batch = collate(idx, fromEval, padId);
                try (NDManager scope = parent.newSubManager()) {
                    float[] logps = DpoLoss.sequenceLogProbs(model.decoder().forward(scope.create(batch.ids())),
                            scope.create(batch.labels())).toType(DataType.FLOAT32, false).toFloatArray();
                    for (int i = 0; i < idx.length; i++) {
                        out[idx[i]] = new float[] {logps[i], logps[idx.length + i]};
                    }
                }
            }
        }
        return out;
    }

    private float[] referenceLogProbs(TrainableModel model, NDManager parent, MicroBatch batch) {
        float[][] table = batch.eval() ? evalReference : trainReference;
        if (table != null) {
            int pairs = batch.indices().length;
            float[] out = new float[2 * pairs];
            for (int i = 0; i < pairs; i++) {
                out[i] = table[batch.indices()[i]][0];
                out[pairs + i] = table[batch.indices()[i]][1];
            }
            return out;
        }
        try (AutoCloseable reference = model.reference();
                GradRecording.Scope off = Autograd.recording(false);
                NDManager scope = parent.newSubManager()) {
            NDArray ids = scope.create(batch.ids());
            NDArray labels = scope.create(batch.labels());
            return DpoLoss.sequenceLogProbs(model.decoder().forward(ids), labels).toType(DataType.FLOAT32, false)
                    .toFloatArray();
        } catch (JloraException | IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new JloraException("DPO reference pass failed: " + e.getMessage(), e);
        }
    }

    private void addRewards(float[] policy, float[] reference, Map<String, Double> extra) {
        int pairs = policy.length / 2;
        for (int r = 0; r < pairs; r++) {
            double chosen = beta * (policy[r] - reference[r]);
            double rejected = beta * (policy[pairs + r] - reference[pairs + r]);
            extra.merge(REWARD_CHOSEN, chosen, Double::sum);
            extra.merge(REWARD_REJECTED, rejected, Double::sum);
            extra.merge(REWARD_MARGIN, chosen - rejected, Double::sum);
            extra.merge(REWARD_ACCURACY, chosen > rejected ? 1.0 : 0.0, Double::sum);
        }
    }
}
