package io.jlora.gpu.train;

import io.jlora.model.ModelConfigReader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * lib's llama-tiny golden DPO case (see its README: policy = the adapter after the gradient case's AdamW
 * step, reference = the adapter disabled, prompt = the first 6 tokens, beta 0.1) through
 * {@link LoraStep#dpoForwardBackward} on a backend.
 */
public final class DpoCase {

    private DpoCase() {
    }

    /** {DPO loss, policy log-probability of chosen, golden loss}. */
    public static double[] run(Ops ops, Path golden) {
        var spec = DecoderSpec.of(ModelConfigReader.read(golden.resolve("model")), 16);
        TensorFiles cases = TensorFiles.open(golden.resolve("cases.safetensors"));
        int[][] batch = batch(cases);
        try (BaseWeights w = BaseWeights.load(ops, golden.resolve("model"), spec);
                LoraParams lora = new LoraParams(ops, spec.shape(), 8, 2f);
                LoraStep step = new LoraStep(ops, spec, w, lora, 2, 16, true, 8)) {
            lora.set(policyWeights(cases, lora));
            double[] out = step.dpoForwardBackward(batch[0], batch[1], 0.1f, 1f, false);
            return new double[] {out[0], out[1], cases.floats("dpo_loss_beta0.1", 1)[0]};
        }
    }

    /** {ids, targets} of the golden pair: row 0 prompt + chosen, row 1 prompt + rejected, targets on completions. */
    static int[][] batch(TensorFiles cases) {
        long[] chosen = cases.longs("dpo_chosen"), rejected = cases.longs("dpo_rejected");
        int[] ids = new int[32];
        int[] targets = new int[32];
        java.util.Arrays.fill(targets, -1);
        for (int i = 0; i < 16; i++) {
            ids[i] = (int) chosen[i];
            ids[16 + i] = (int) rejected[i];
        }
        for (int i = 5; i < 15; i++) { // completion tokens 6..15, each predicted from the position before
            targets[i] = ids[i + 1];
            targets[16 + i] = ids[16 + i + 1];
        }
        return new int[][] {ids, targets};
    }

    /** make_golden.py computed the DPO case after the gradient case's AdamW step: the step1 weights. */
    static Map<String, float[]> policyWeights(TensorFiles cases, LoraParams lora) {
        Map<String, float[]> start = new HashMap<>();
        for (var e : lora.layout().entries()) {
            start.put(e.key(), cases.floats("step1." + e.key(), e.elements()));
        }
        return start;
    }
}
