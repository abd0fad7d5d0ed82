package io.jlora.gpu.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.jlora.model.ModelConfigReader;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LoRA dropout's hand-written gradients against central finite differences of the loss (same masks),
 * along each tensor's gradient direction, on the llama-tiny golden model and adapter.
 */
class DropoutGradientTest {

    @Test
    void gradientsWithDropoutMatchFiniteDifferences() {
        var golden = GoldenStepTest.GOLDEN;
        var config = ModelConfigReader.read(golden.resolve("model"));
        var spec = DecoderSpec.of(config, 16);
        TensorFiles adapter = TensorFiles.open(golden.resolve("adapter/adapter_model.safetensors"));
        int[] ids = new int[32];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 53 + 7) % 320;
        }
        try (HostOps ops = new HostOps(); BaseWeights w = BaseWeights.load(ops, golden.resolve("model"), spec);
                LoraParams lora = new LoraParams(ops, spec.shape(), 8, 2f);
                LoraStep step = new LoraStep(ops, spec, w, lora, 2, 16, true, 32)) {
            Map<String, float[]> start = new HashMap<>();
            for (var e : lora.layout().entries()) {
                start.put(e.key(), adapter.floats(e.key(), e.elements()));
            }
            lora.set(start);
            step.setDropout(0.3f, 99);
            step.restartMasks();
            float base = step.forwardBackward(ids);
            step.setDropout(0f, 99);
            float plain = step.forwardBackward(ids);
            assertNotEquals(plain, base, 1e-4, "dropout changes the loss");
            step.setDropout(0.3f, 99);
            for (String key : new String[] {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight",
                    "base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight"}) {
                step.restartMasks();
                step.forwardBackward(ids);
                float[] g = lora.get(key, true);
                double norm = 0;
                for (float v : g) {
                    norm += v * v;
                }
                norm = Math.sqrt(norm);
                double eps = 0.05;
                float[] plus = start.get(key).clone(), minus = start.get(key).clone();
                for (int i = 0; i < g.length; i++) {
                    plus[i] += (float) (eps * g[i] / norm);
                    minus[i] -= (float) (eps * g[i] / norm);
                }
                lora.set(Map.of(key, plus));
                step.restartMasks();
                float lp = step.forwardBackward(ids);
                lora.set(Map.of(key, minus));
                step.restartMasks();
                float lm = step.forwardBackward(ids);
                lora.set(Map.of(key, start.get(key)));
                double numeric = (lp - lm) / (2 * eps);
                assertEquals(norm, numeric, 0.03 * norm, key + ": directional derivative");
            }
        }
    }
}
