package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.data.Example;
import io.jlora.model.CausalLmLoss;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning: transformers' causal-LM loss (shifted cross-entropy, -100 ignored),
 * averaged over all trained tokens of the optimizer step (transformers' num_items_in_batch
 * normalisation, so gradient accumulation gives what one big batch gives).
 */
final class SftTask extends ListTask<Example> {


    SftTask(List<Example> train, List<Example> eval) {
        super(train, eval);
    }

    @Override
    boolean dropout() {
        return true;
    }

    @Override
    String objective() {
        return "sft";
    }

    @Override
    MicroBatch collate(int[] indices, boolean fromEval, long padId) {
        List<Example> source = examples(fromEval);
        int width = 0;
        for (int i : indices) {
            width = Math.max(width, source.get(i).length());
        }
        long[][] ids = new long[indices.length][width];
        long[][] labels = new long[indices.length][width];
        long tokens = 0;
        long units = 0;
        for (int r = 0; r < indices.length; r++) {
            Example e = source.get(indices[r]);
            java.util.Arrays.fill(ids[r], padId);
            java.util.Arrays.fill(labels[r], CausalLmLoss.IGNORE_INDEX);
            System.arraycopy(e.inputIds(), 0, ids[r], 0, e.length());
            System.arraycopy(e.labels(), 0, labels[r], 0, e.length());
            tokens += e.length();
            units += e.trainedTokens();
        }
        return new MicroBatch(ids, labels, tokens, units, indices.clone(), fromEval);
    }

    @Override
    double forwardBackward(TrainableModel model, Backprop backprop, NDManager step, MicroBatch batch, double stepUnits,
            long seed, Map<String, Double> extra) {
        NDArray ids = step.create(batch.ids());
        NDArray labels = step.create(batch.labels());
        double scale = 1.0 / Math.max(1.0, stepUnits);
        return backprop.run(step, ids, Backprop.tokenLoss(labels, scale), seed);
    }

    @Override
    double[] evalSums(TrainableModel model, NDManager scope, MicroBatch batch, Map<String, Double> extra) {
        NDArray ids = scope.create(batch.ids());
        NDArray labels = scope.create(batch.labels());
        NDArray sum = CausalLmLoss.tokenLosses(model.decoder().forward(ids), labels).sum();
        return new double[] {sum.toType(DataType.FLOAT32, false).getFloat(), batch.units()};
    }
}
