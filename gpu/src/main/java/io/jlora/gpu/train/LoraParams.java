package io.jlora.gpu.train;

import io.jlora.gpu.FlatParameters;
import io.jlora.gpu.ModelShape;
import java.util.Map;

/**
 * The trainable LoRA weights of every decoder layer in {@link FlatParameters}' flat layout: fp32
 * master weights, gradients and AdamW moments, and the BF16 copy the GEMMs read. One buffer per region,
 * so clipping and AdamW are one pass each.
 */
public final class LoraParams implements AutoCloseable {

    private final Ops ops;
    final FlatParameters layout;
    final int rank;
    /** lora_alpha / r (or / sqrt(r) for rsLoRA): what the B product is multiplied by. */
    final float scale;
    final Buf master;
    final Buf grad;
    final Buf adamM;
    final Buf adamV;
    final Buf shadow;
    private final ModelShape shape;

    public LoraParams(Ops ops, ModelShape shape, int rank, float scale) {
        this.ops = ops;
        this.shape = shape;
        this.rank = rank;
        this.scale = scale;
        this.layout = FlatParameters.layout(shape, rank, FlatParameters.ALL_LINEAR);
        long n = layout.elements();
        master = ops.alloc(DType.F32, n);
        grad = ops.alloc(DType.F32, n);
        adamM = ops.alloc(DType.F32, n);
        adamV = ops.alloc(DType.F32, n);
        shadow = ops.alloc(DType.BF16, n);
        for (Buf b : new Buf[] {master, grad, adamM, adamV}) {
            ops.zero(b);
        }
        ops.zero(shadow);
    }

    static String key(int layer, BaseWeights.Proj p, boolean a) {
        return "base_model.model.model.layers." + layer + "." + p.path + (a ? ".lora_A.weight" : ".lora_B.weight");
    }

    private Buf view(Buf region, int layer, BaseWeights.Proj p, boolean a) {
        FlatParameters.Entry e = layout.entry(key(layer, p, a));
        return region.slice(e.offset(), e.elements());
    }

    /** lora_A {@code [r, in]} as the GEMMs read it. */
    Buf a(int layer, BaseWeights.Proj p) {
        return view(shadow, layer, p, true);
    }

    /** lora_B {@code [out, r]}. */
    Buf b(int layer, BaseWeights.Proj p) {
        return view(shadow, layer, p, false);
    }

    Buf gradA(int layer, BaseWeights.Proj p) {
        return view(grad, layer, p, true);
    }

    Buf gradB(int layer, BaseWeights.Proj p) {
        return view(grad, layer, p, false);
    }

    /** PEFT's default start: A uniform in +-1/sqrt(in) (kaiming-uniform with a = sqrt(5)), B zero. */
    public void initDefault(long seed) {
        ops.zero(master);
        for (FlatParameters.Entry e : layout.entries()) {
            if (e.key().endsWith("lora_A.weight")) {
                ops.fillUniform(master.slice(e.offset(), e.elements()), seed++, (float) (1 / Math.sqrt(e.cols())));
            }
        }
        refreshShadow();
    }

    /** Sets weights by PEFT key (an adapter_model.safetensors' tensors); keys not given keep their values. */
    public void set(Map<String, float[]> byKey) {
        for (Map.Entry<String, float[]> kv : byKey.entrySet()) {
            FlatParameters.Entry e = layout.entry(kv.getKey());
            ops.upload(master.slice(e.offset(), e.elements()), kv.getValue());
        }
        refreshShadow();
    }

    /** The master weight or the gradient of one PEFT key. */
    public float[] get(String key, boolean gradient) {
        FlatParameters.Entry e = layout.entry(key);
        return ops.download((gradient ? grad : master).slice(e.offset(), e.elements()));
    }

    /** AdamW's first (exp_avg) or second (exp_avg_sq) moment of one PEFT key. */
    public float[] moment(String key, boolean second) {
        FlatParameters.Entry e = layout.entry(key);
        return ops.download((second ? adamV : adamM).slice(e.offset(), e.elements()));
    }

    /** Sets AdamW's moments of one PEFT key (resuming). */
    public void setMoments(String key, float[] expAvg, float[] expAvgSq) {
        FlatParameters.Entry e = layout.entry(key);
        ops.upload(adamM.slice(e.offset(), e.elements()), expAvg);
        ops.upload(adamV.slice(e.offset(), e.elements()), expAvgSq);
    }

    /** Copies master into the BF16 shadow (after loading; AdamW refreshes it itself). */
    void refreshShadow() {
        ops.convert(master, shadow);
    }

    public ModelShape shape() {
        return shape;
    }

    public FlatParameters layout() {
        return layout;
    }

    @Override
    public void close() {
        for (Buf b : new Buf[] {master, grad, adamM, adamV, shadow}) {
            ops.free(b);
        }
    }
}
