package io.jlora.gpu.train;

import io.jlora.model.ModelConfig;
import io.jlora.model.ModelConfigReader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The parity case of the GPU step: the shared llama-tiny golden folder (transformers 5.17 + PEFT 0.21,
 * fp32; see its README) run through {@link LoraStep} on a backend. Compares logits, loss, every LoRA
 * gradient and one AdamW step (lr 1e-3, no weight decay, no clipping) with the golden values.
 */
public final class GoldenCase {

    /**
     * @param logitsError max |logit - golden|
     * @param gradError worst over LoRA tensors of max |grad - golden| / max |golden|
     * @param stepError max |weight after one AdamW step - golden|
     */
    public record Result(float loss, float goldenLoss, double logitsError, double gradError, String worstGrad,
            double stepError) {
    }

    private GoldenCase() {
    }

    public static Result run(Ops ops, Path golden, boolean checkpointing) {
        ModelConfig config = ModelConfigReader.read(golden.resolve("model"));
        TensorFiles cases = TensorFiles.open(golden.resolve("cases.safetensors"));
        long[] shape = cases.shape("input_ids");
        int batch = (int) shape[0], seq = (int) shape[1];
        int[] ids = cases.ints("input_ids");
        DecoderSpec spec = DecoderSpec.of(config, seq);
        Path adapterDir = golden.resolve("adapter");
        TensorFiles adapter = TensorFiles.open(adapterDir.resolve("adapter_model.safetensors"));
        var adapterConfig = io.jlora.lora.AdapterConfigJson.read(adapterDir, config.family().modelType());
        int rank = adapterConfig.r();
        float alpha = (float) adapterConfig.loraAlpha();
        try (BaseWeights w = BaseWeights.load(ops, golden.resolve("model"), spec);
                LoraParams lora = new LoraParams(ops, spec.shape(), rank, alpha / rank);
                LoraStep step = new LoraStep(ops, spec, w, lora, batch, seq, checkpointing, 8)) {
            Map<String, float[]> start = new HashMap<>();
            for (var e : lora.layout().entries()) {
                start.put(e.key(), adapter.floats(e.key(), e.elements()));
            }
            lora.set(start);
            float[] logits = step.logits(ids);
            float[] want = cases.floats("logits_adapter", logits.length);
            double logitsError = maxDiff(logits, want);
            float loss = step.forwardBackward(ids);
            double gradError = 0;
            String worst = "";
            for (var e : lora.layout().entries()) {
                float[] g = lora.get(e.key(), true);
                float[] gw = cases.floats("grad." + e.key(), e.elements());
                double rel = maxDiff(g, gw) / Math.max(1e-12, maxAbs(gw));
                if (rel > gradError) {
                    gradError = rel;
                    worst = e.key();
                }
            }
            step.optimizerStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0f);
            double stepError = 0;
            for (var e : lora.layout().entries()) {
                stepError = Math.max(stepError, maxDiff(lora.get(e.key(), false),
                        cases.floats("step1." + e.key(), e.elements())));
            }
            return new Result(loss, cases.floats("loss_adapter", 1)[0], logitsError, gradError, worst, stepError);
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(m, d);
        }
        return m;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
