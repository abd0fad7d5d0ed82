package io.jlora.gpu.train;

import io.jlora.gpu.ModelShape;
import io.jlora.quant.FourBitQuantizer;
import io.jlora.quant.FourBitSpec;
import io.jlora.quant.Int8Quantizer;
import io.jlora.quant.PackedFourBit;
import io.jlora.quant.PackedInt8;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The frozen base model on a backend: BF16 on the GPU, each projection {@code [out, in]} as PyTorch
 * stores it; or, for QLoRA, the decoder projections in bitsandbytes' 4-bit layout (quantized on
 * loading by lib's {@link FourBitQuantizer}, the CPU path's quantizer, so both paths train on the same
 * codes), dequantized into one scratch buffer right before each GEMM that reads them. Embedding, norms
 * and head stay BF16, as bitsandbytes leaves them. The GPU step never writes these buffers.
 */
public final class BaseWeights implements AutoCloseable {

    /** Decoder-layer projections, in the order their LoRA modules are listed. */
    public enum Proj {
        Q("self_attn.q_proj"), K("self_attn.k_proj"), V("self_attn.v_proj"), O("self_attn.o_proj"),
        GATE("mlp.gate_proj"), UP("mlp.up_proj"), DOWN("mlp.down_proj");

        /** The module path inside a layer, as checkpoints and PEFT name it. */
        public final String path;

        Proj(String path) {
            this.path = path;
        }

        /** PEFT's module name ({@code q_proj}). */
        public String module() {
            return path.substring(path.indexOf('.') + 1);
        }
    }

    private final Ops ops;
    private final ModelShape shape;
    private final List<Buf> owned = new ArrayList<>();
    final Buf embed;
    final Buf head;
    final Buf finalNorm;
    final Buf[] inputNorm;
    final Buf[] postNorm;
    final Buf[][] proj; // [layer][Proj]; null when quantized
    /** q/k/v biases [layer][0..2] (Qwen2), or null. */
    final Buf[][] qkvBias;
    /** Per-head RMSNorm weights of q and k [layer] (Qwen3), or null. */
    final Buf[] qNorm;
    final Buf[] kNorm;
    private final FourBitSpec quant;
    /** LLM.int8 projections (codes in {@code packed}, one absmax per output row in {@code absmax}). */
    private final boolean int8;
    private final Buf[][] packed;
    private final Buf[][] absmax;
    private final Buf code;
    private final Buf dense;

    private BaseWeights(Ops ops, DecoderSpec spec, FourBitSpec quant, boolean int8) {
        this.ops = ops;
        this.quant = quant;
        this.int8 = int8;
        ModelShape s = spec.shape();
        this.shape = s;
        boolean tied = spec.tiedHead();
        qkvBias = spec.qkvBias() ? new Buf[s.layers()][3] : null;
        qNorm = spec.qkNorm() ? new Buf[s.layers()] : null;
        kNorm = spec.qkNorm() ? new Buf[s.layers()] : null;
        embed = own(DType.BF16, (long) s.vocab() * s.hidden());
        head = tied ? embed : own(DType.BF16, (long) s.vocab() * s.hidden());
        finalNorm = own(DType.BF16, s.hidden());
        inputNorm = new Buf[s.layers()];
        postNorm = new Buf[s.layers()];
        proj = new Buf[s.layers()][Proj.values().length];
        packed = new Buf[s.layers()][Proj.values().length];
        absmax = new Buf[s.layers()][Proj.values().length];
        long widest = 0;
        for (int l = 0; l < s.layers(); l++) {
            inputNorm[l] = own(DType.BF16, s.hidden());
            postNorm[l] = own(DType.BF16, s.hidden());
            if (qkvBias != null) {
                qkvBias[l][0] = own(DType.BF16, (long) s.heads() * s.headDim());
                qkvBias[l][1] = own(DType.BF16, (long) s.kvHeads() * s.headDim());
                qkvBias[l][2] = own(DType.BF16, (long) s.kvHeads() * s.headDim());
            }
            if (qNorm != null) {
                qNorm[l] = own(DType.BF16, s.headDim());
                kNorm[l] = own(DType.BF16, s.headDim());
            }
            for (Proj p : Proj.values()) {
                int[] io = s.linear(p.module());
                long n = (long) io[0] * io[1];
                widest = Math.max(widest, n);
                if (int8) {
                    packed[l][p.ordinal()] = own(DType.U8, n);
                    absmax[l][p.ordinal()] = own(DType.F32, io[1]);
                } else if (quant == null) {
                    proj[l][p.ordinal()] = own(DType.BF16, n);
                } else {
                    packed[l][p.ordinal()] = own(DType.U8, (n + 1) / 2);
                    absmax[l][p.ordinal()] = own(DType.F32, (n + quant.blockSize() - 1) / quant.blockSize());
                }
            }
        }
        code = quant == null ? null : own(DType.F32, 16);
        if (code != null) {
            ops.upload(code, quant.type().code());
        }
        dense = quant != null || int8 ? own(DType.BF16, widest) : null;
    }

    private Buf own(DType t, long n) {
        Buf b = ops.alloc(t, n);
        owned.add(b);
        return b;
    }

    /**
     * The projection's weight as the GEMMs read it: its BF16 buffer, or its 4-bit codes dequantized
     * into the shared scratch buffer (valid until the next call).
     */
    public Buf weight(int layer, Proj p) {
        Buf dense = proj[layer][p.ordinal()];
        if (dense != null) {
            return dense;
        }
        Buf pk = packed[layer][p.ordinal()];
        if (int8) {
            int[] io = shapeOf(p);
            Buf out = this.dense.slice(0, (long) io[0] * io[1]);
            ops.dequantInt8(pk, absmax[layer][p.ordinal()], out, io[1], io[0]);
            return out;
        }
        long n = pk.elements() * 2;
        Buf out = this.dense.slice(0, n);
        ops.dequant4(pk, absmax[layer][p.ordinal()], code, out, n, quant.blockSize());
        return out;
    }

    /** The 4-bit format of the projections, or null for BF16. */
    public FourBitSpec quantization() {
        return quant;
    }

    private int[] shapeOf(Proj p) {
        return shape.linear(p.module());
    }

    private void setProjection(int l, Proj p, float[] values, long[] shape) {
        if (int8) {
            PackedInt8 q = Int8Quantizer.quantize(values, (int) shape[0], (int) shape[1]);
            ops.uploadBytes(packed[l][p.ordinal()], q.codes());
            ops.upload(absmax[l][p.ordinal()], q.rowAbsmax());
            return;
        }
        if (quant == null) {
            ops.upload(proj[l][p.ordinal()], values);
            return;
        }
        PackedFourBit q = FourBitQuantizer.quantize(values, shape, quant);
        ops.uploadBytes(packed[l][p.ordinal()], q.packed());
        ops.upload(absmax[l][p.ordinal()], q.blockAbsmax());
    }

    /** Reads a transformers checkpoint folder (names as LlamaForCausalLM saves them), BF16. */
    public static BaseWeights load(Ops ops, Path folder, DecoderSpec spec) {
        return load(ops, folder, spec, null);
    }

    /**
     * As {@link #load(Ops, Path, DecoderSpec)}, the decoder projections quantized to {@code quant}
     * (null: BF16), e.g. {@link FourBitSpec#qlora()}.
     */
    public static BaseWeights load(Ops ops, Path folder, DecoderSpec spec, FourBitSpec quant) {
        return load(ops, folder, spec, quant, false);
    }

    /** LLM.int8 projections ({@code int8}; lib's Int8Quantizer, as the CPU path's {@code --quantization int8}) or 4-bit ones. */
    public static BaseWeights load(Ops ops, Path folder, DecoderSpec spec, FourBitSpec quant, boolean int8) {
        ModelShape s = spec.shape();
        TensorFiles files = TensorFiles.open(folder);
        if (!spec.tiedHead() && !files.contains("lm_head.weight")) {
            spec = new DecoderSpec(s, spec.rmsNormEps(), spec.attentionScale(), spec.inverseFrequencies(), true,
                    spec.qkvBias(), spec.qkNorm());
        }
        boolean tied = spec.tiedHead();
        BaseWeights w = new BaseWeights(ops, spec, quant, int8);
        try {
            long vh = (long) s.vocab() * s.hidden();
            ops.upload(w.embed, files.floats("model.embed_tokens.weight", vh));
            if (!tied) {
                ops.upload(w.head, files.floats("lm_head.weight", vh));
            }
            ops.upload(w.finalNorm, files.floats("model.norm.weight", s.hidden()));
            for (int l = 0; l < s.layers(); l++) {
                String p = "model.layers." + l + ".";
                ops.upload(w.inputNorm[l], files.floats(p + "input_layernorm.weight", s.hidden()));
                ops.upload(w.postNorm[l], files.floats(p + "post_attention_layernorm.weight", s.hidden()));
                if (w.qkvBias != null) {
                    String[] names = {"q_proj", "k_proj", "v_proj"};
                    for (int i = 0; i < 3; i++) {
                        Buf b = w.qkvBias[l][i];
                        ops.upload(b, files.floats(p + "self_attn." + names[i] + ".bias", b.elements()));
                    }
                }
                if (w.qNorm != null) {
                    ops.upload(w.qNorm[l], files.floats(p + "self_attn.q_norm.weight", s.headDim()));
                    ops.upload(w.kNorm[l], files.floats(p + "self_attn.k_norm.weight", s.headDim()));
                }
                for (Proj pr : Proj.values()) {
                    int[] io = s.linear(pr.module());
                    w.setProjection(l, pr, files.floats(p + pr.path + ".weight", (long) io[0] * io[1]),
                            new long[] {io[1], io[0]});
                }
            }
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    /**
     * Random weights of the spec's shape (benchmarks): normal(0, 0.02) weights, unit norms; 4-bit
     * projections get random codes and absmax 0.05 (about what normal(0, 0.02) blocks of 64 give).
     */
    public static BaseWeights random(Ops ops, DecoderSpec spec, long seed, FourBitSpec quant) {
        ModelShape s = spec.shape();
        BaseWeights w = new BaseWeights(ops, spec, quant, false);
        long k = seed;
        for (Buf b : w.owned) {
            if (b == w.code || b == w.dense) {
                continue;
            }
            if (b.dtype() == DType.U8) {
                ops.fillUniform(b, k++, 1f);
            } else if (b.dtype() == DType.F32) {
                ops.fill(b, 0.05f);
            } else if (b.elements() == s.hidden() || b.elements() == s.headDim()) {
                ops.fill(b, 1f);
            } else {
                ops.fillNormal(b, k++, 0.02f);
            }
        }
        return w;
    }

    public static BaseWeights random(Ops ops, DecoderSpec spec, long seed) {
        return random(ops, spec, seed, null);
    }

    @Override
    public void close() {
        owned.forEach(ops::free);
        owned.clear();
    }
}
