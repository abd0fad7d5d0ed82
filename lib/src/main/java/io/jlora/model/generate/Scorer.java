package io.jlora.model.generate;

import io.jlora.model.CausalLmLoss;
import io.jlora.model.Decoder;
import io.jlora.model.autograd.GradRecording;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mean causal-LM loss of token sequences with labels = inputs. Sequences of equal length are
 * batched together; no padding is ever added, so no padding can leak into the loss.
 */
public final class Scorer {

    private final Decoder decoder;

    public Scorer(Decoder decoder) {
        this.decoder = decoder;
    }

    public ScoreResult score(List<long[]> sequences) {
        double[] perSequence = new double[sequences.size()];
        double totalLoss = 0;
        long totalTokens = 0;
        for (Map.Entry<Integer, List<Integer>> group : byLength(sequences).entrySet()) {
            int length = group.getKey();
            List<Integer> members = group.getValue();
            if (length < 2) {
                throw new IllegalArgumentException("a sequence needs at least 2 tokens to be scored");
            }
            try (GradRecording.Scope inference = GradRecording.off();
                    NDManager step = decoder.manager().newSubManager()) {
                long[][] batch = new long[members.size()][];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = sequences.get(members.get(i));
                }
                NDArray ids = step.create(batch);
                NDArray losses = CausalLmLoss.tokenLosses(decoder.forward(ids), ids);
                float[] sums = losses.sum(new int[] {1}).toFloatArray();
                for (int i = 0; i < batch.length; i++) {
                    perSequence[members.get(i)] = sums[i] / (length - 1);
                    totalLoss += sums[i];
                    totalTokens += length - 1;
                }
            }
        }
        return new ScoreResult(totalTokens == 0 ? Double.NaN : totalLoss / totalTokens, perSequence, totalTokens);
    }

    private static Map<Integer, List<Integer>> byLength(List<long[]> sequences) {
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < sequences.size(); i++) {
            groups.computeIfAbsent(sequences.get(i).length, k -> new ArrayList<>()).add(i);
        }
        return groups;
    }
}
