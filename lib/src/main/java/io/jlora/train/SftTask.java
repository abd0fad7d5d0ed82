package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.data.Example;
import io.jlora.model.CausalLmLoss;
import io.jlora.model.Decoder;
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
        for (int i : indices) {
            if (source.get(i).packed()) {
                return paddingFree(source, indices, fromEval);
            }
        }
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

    /**
     * Packed rows as TRL's padding-free collator gives them: all concatenated into one row, no
     * padding, each example keeping its own positions and attention (the batch's segments).
     */
    private static MicroBatch paddingFree(List<Example> source, int[] indices, boolean fromEval) {
        int width = 0;
        int count = 0;
        for (int i : indices) {
            Example e = source.get(i);
            width += e.length();
            count += e.packed() ? e.segments().length : 1;
        }
        long[] ids = new long[width];
        long[] labels = new long[width];
        int[] segments = new int[count];
        long units = 0;
        int at = 0;
        int s = 0;
        for (int i : indices) {
            Example e = source.get(i);
            System.arraycopy(e.inputIds(), 0, ids, at, e.length());
            System.arraycopy(e.labels(), 0, labels, at, e.length());
            labels[at] = CausalLmLoss.IGNORE_INDEX;
            for (int len : e.packed() ? e.segments() : new int[] {e.length()}) {
                segments[s++] = len;
            }
            at += e.length();
            units += e.trainedTokens();
        }
        return new MicroBatch(new long[][] {ids}, new long[][] {labels}, width, units, indices.clone(), fromEval, segments);
    }

    @Override
    double forwardBackward(TrainableModel model, Backprop backprop, NDManager step, MicroBatch batch, double stepUnits,
            long seed, Map<String, Double> extra) {
        NDArray ids = step.create(batch.ids());
        NDArray labels = step.create(batch.labels());
        double scale = 1.0 / Math.max(1.0, stepUnits);
        return backprop.run(step, ids, batch.segments(), Backprop.tokenLoss(labels, scale), seed);
    }

    @Override
    double[] evalSums(TrainableModel model, NDManager scope, MicroBatch batch, Map<String, Double> extra) {
        NDArray ids = scope.create(batch.ids());
        NDArray labels = scope.create(batch.labels());
        NDArray logits;
        if (batch.segments() == null) {
            logits = model.decoder().forward(ids);
        } else {
            Decoder d = model.decoder();
            Decoder.Positions p = d.packedPositions(scope, batch.segments());
            NDArray x = d.embed(ids);
            for (int i = 0; i < d.layerCount(); i++) {
                x = d.layer(i, x, p);
            }
            logits = d.head(x);
        }
        NDArray sum = CausalLmLoss.tokenLosses(logits, labels).sum();
        return new double[] {sum.toType(DataType.FLOAT32, false).getFloat(), batch.units()};
    }
}
