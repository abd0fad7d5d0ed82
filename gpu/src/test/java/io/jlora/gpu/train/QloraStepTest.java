package io.jlora.gpu.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jlora.model.ModelConfigReader;
import io.jlora.quant.FourBitQuantizer;
import io.jlora.quant.Int8Quantizer;
import io.jlora.quant.FourBitSpec;
import io.jlora.quant.FourBitType;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * QLoRA on the GPU step: a 4-bit base computes exactly what a BF16 base holding the same dequantized
 * weights computes (host backend, fp32), and the host dequantization reproduces lib's golden NF4 values.
 */
class QloraStepTest {

    @Test
    void aFourBitBaseIsTheDenseStepOnItsDequantizedWeights() {
        var golden = GoldenStepTest.GOLDEN;
        var spec = DecoderSpec.of(ModelConfigReader.read(golden.resolve("model")), 16);
        FourBitSpec q = FourBitSpec.qlora();
        int[] ids = new int[32];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 41 + 3) % 320;
        }
        float[][] results = new float[2][];
        float[][] grads = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (HostOps ops = new HostOps();
                    BaseWeights w = run == 0 ? BaseWeights.load(ops, golden.resolve("model"), spec, q)
                            : BaseWeights.load(ops, golden.resolve("model"), spec);
                    LoraParams lora = new LoraParams(ops, spec.shape(), 8, 2f);
                    LoraStep step = new LoraStep(ops, spec, w, lora, 2, 16, true, 32)) {
                if (run == 1) {
                    setDequantized(ops, w, spec, (wv, io) -> FourBitQuantizer.quantize(wv, new long[] {io[1], io[0]}, q)
                            .dequantize());
                }
                lora.initDefault(4);
                Map<String, float[]> b = new HashMap<>();
                for (var e : lora.layout().entries()) {
                    if (e.key().endsWith("lora_B.weight")) {
                        float[] v = new float[(int) e.elements()];
                        java.util.Arrays.fill(v, 0.01f);
                        b.put(e.key(), v);
                    }
                }
                lora.set(b);
                results[run] = step.logits(ids);
                step.forwardBackward(ids);
                grads[run] = lora.get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", true);
            }
        }
        assertEquals(0.0, GoldenCase.maxDiff(results[0], results[1]), 1e-6);
        assertEquals(0.0, GoldenCase.maxDiff(grads[0], grads[1]), 1e-7);
        // and the 4-bit model is not the BF16 one: quantization moved the logits
        try (HostOps ops = new HostOps()) {
            assertEquals(true, GoldenCase.maxDiff(results[0], dense(ops, ids)) > 1e-4);
        }
    }

    @Test
    void anInt8BaseIsTheDenseStepOnItsDequantizedWeights() {
        var golden = GoldenStepTest.GOLDEN;
        var spec = DecoderSpec.of(ModelConfigReader.read(golden.resolve("model")), 16);
        int[] ids = new int[32];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 29 + 5) % 320;
        }
        float[][] logits = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (HostOps ops = new HostOps();
                    BaseWeights w = run == 0 ? BaseWeights.load(ops, golden.resolve("model"), spec, null, true)
                            : BaseWeights.load(ops, golden.resolve("model"), spec);
                    LoraParams lora = new LoraParams(ops, spec.shape(), 8, 2f);
                    LoraStep step = new LoraStep(ops, spec, w, lora, 2, 16, false, 32)) {
                if (run == 1) {
                    setDequantized(ops, w, spec, (wv, io) -> Int8Quantizer.quantize(wv, io[1], io[0]).dequantize());
                }
                lora.initDefault(4);
                logits[run] = step.logits(ids);
            }
        }
        assertEquals(0.0, GoldenCase.maxDiff(logits[0], logits[1]), 1e-6);
    }

    /** Sets a dense base's projections to what {@code roundTrip} makes of the golden weights ({in, out} given). */
    private static void setDequantized(HostOps ops, BaseWeights w, DecoderSpec spec,
            java.util.function.BiFunction<float[], int[], float[]> roundTrip) {
        TensorFiles files = TensorFiles.open(GoldenStepTest.GOLDEN.resolve("model"));
        for (int l = 0; l < spec.shape().layers(); l++) {
            for (BaseWeights.Proj p : BaseWeights.Proj.values()) {
                int[] io = spec.shape().linear(p.module());
                float[] wv = files.floats("model.layers." + l + "." + p.path + ".weight", -1);
                ops.upload(w.proj[l][p.ordinal()], roundTrip.apply(wv, io));
            }
        }
    }

    private static float[] dense(HostOps ops, int[] ids) {
        var golden = GoldenStepTest.GOLDEN;
        var spec = DecoderSpec.of(ModelConfigReader.read(golden.resolve("model")), 16);
        try (BaseWeights w = BaseWeights.load(ops, golden.resolve("model"), spec);
                LoraParams lora = new LoraParams(ops, spec.shape(), 8, 2f);
                LoraStep step = new LoraStep(ops, spec, w, lora, 2, 16, true, 32)) {
            lora.initDefault(4);
            return step.logits(ids);
        }
    }

    @Test
    void hostDequantizationMatchesTheGoldenNf4Values() {
        TensorFiles nf4 = TensorFiles.open(GoldenStepTest.GOLDEN.resolve("nf4.safetensors"));
        float[] w = nf4.floats("W", -1);
        var packed = FourBitQuantizer.quantize(w, new long[] {256, 256}, new FourBitSpec(FourBitType.NF4, 64, false));
        try (HostOps ops = new HostOps()) {
            Buf p = ops.alloc(DType.U8, packed.packed().length);
            ops.uploadBytes(p, packed.packed());
            Buf a = ops.alloc(DType.F32, packed.blocks());
            ops.upload(a, packed.blockAbsmax());
            Buf code = ops.alloc(DType.F32, 16);
            ops.upload(code, FourBitType.NF4.code());
            Buf out = ops.alloc(DType.BF16, w.length);
            ops.dequant4(p, a, code, out, w.length, 64);
            assertEquals(0.0, GoldenCase.maxDiff(ops.download(out), nf4.floats("nf4.dequant", -1)), 1e-6);
        }
    }
}
