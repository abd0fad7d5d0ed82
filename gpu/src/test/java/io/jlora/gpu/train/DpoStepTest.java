package io.jlora.gpu.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jlora.model.ModelConfigReader;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GPU step's DPO against the llama-tiny golden case (TRL's sigmoid loss, beta 0.1, reference = the
 * adapter disabled, prompt = the first 6 tokens) and its gradients against finite differences (host backend).
 */
class DpoStepTest {

    @Test
    void dpoLossMatchesTheGoldenAndItsGradientsMatchFiniteDifferences() {
        var golden = GoldenStepTest.GOLDEN;
        var spec = DecoderSpec.of(ModelConfigReader.read(golden.resolve("model")), 16);
        TensorFiles cases = TensorFiles.open(golden.resolve("cases.safetensors"));
        int[][] batch = DpoCase.batch(cases);
        int[] ids = batch[0], targets = batch[1];
        try (HostOps ops = new HostOps(); BaseWeights w = BaseWeights.load(ops, golden.resolve("model"), spec);
                LoraParams lora = new LoraParams(ops, spec.shape(), 8, 2f);
                LoraStep step = new LoraStep(ops, spec, w, lora, 2, 16, true, 8)) {
            Map<String, float[]> start = DpoCase.policyWeights(cases, lora);
            lora.set(start);
            double[] out = step.dpoForwardBackward(ids, targets, 0.1f, 1f, false);
            assertEquals(cases.floats("dpo_loss_beta0.1", 1)[0], out[0], 1e-5, "DPO loss");
            double[] viaCase = DpoCase.run(new HostOps(), golden); // what the device check runs
            assertEquals(viaCase[2], viaCase[0], 1e-5);
            String key = "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight";
            float[] g = lora.get(key, true);
            double norm = 0;
            for (float v : g) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            double eps = 0.005; // 0.05 is already past the loss's linear range here
            float[] plus = start.get(key).clone(), minus = start.get(key).clone();
            for (int i = 0; i < g.length; i++) {
                plus[i] += (float) (eps * g[i] / norm);
                minus[i] -= (float) (eps * g[i] / norm);
            }
            lora.set(Map.of(key, plus));
            double lp = step.dpoForwardBackward(ids, targets, 0.1f, 1f, false)[0];
            lora.set(Map.of(key, minus));
            double lm = step.dpoForwardBackward(ids, targets, 0.1f, 1f, false)[0];
            assertEquals(norm, (lp - lm) / (2 * eps), 0.03 * norm, "directional derivative of the DPO loss");
        }
    }
}
