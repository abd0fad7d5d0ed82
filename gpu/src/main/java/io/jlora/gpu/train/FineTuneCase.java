package io.jlora.gpu.train;

import io.jlora.model.ModelConfigReader;
import java.nio.file.Path;

/** A short fine-tune on the golden batch (the loss must fall): PEFT-default LoRA start, AdamW lr 5e-3. */
public final class FineTuneCase {

    private FineTuneCase() {
    }

    /** The loss before each of {@code steps} steps, then after the last. */
    public static float[] run(Ops ops, Path golden, int steps) {
        var config = ModelConfigReader.read(golden.resolve("model"));
        TensorFiles cases = TensorFiles.open(golden.resolve("cases.safetensors"));
        long[] shape = cases.shape("input_ids");
        int[] ids = cases.ints("input_ids");
        DecoderSpec spec = DecoderSpec.of(config, (int) shape[1]);
        try (BaseWeights w = BaseWeights.load(ops, golden.resolve("model"), spec);
                LoraParams lora = new LoraParams(ops, spec.shape(), 8, 2f);
                LoraStep step = new LoraStep(ops, spec, w, lora, (int) shape[0], (int) shape[1], true, 32)) {
            lora.initDefault(11);
            float[] losses = new float[steps + 1];
            for (int i = 0; i <= steps; i++) {
                losses[i] = step.forwardBackward(ids);
                if (i < steps) {
                    step.optimizerStep(5e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1f);
                }
            }
            return losses;
        }
    }
}
