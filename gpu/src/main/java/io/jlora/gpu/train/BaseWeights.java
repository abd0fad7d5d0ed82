package io.jlora.gpu.train;

import io.jlora.gpu.ModelShape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The frozen base model on a backend: BF16 on the GPU, each projection {@code [out, in]} as PyTorch
 * stores it. The GPU step never writes these buffers.
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
    private final List<Buf> owned = new ArrayList<>();
    final Buf embed;
    final Buf head;
    final Buf finalNorm;
    final Buf[] inputNorm;
    final Buf[] postNorm;
    final Buf[][] proj; // [layer][Proj]

    private BaseWeights(Ops ops, ModelShape s, boolean tied) {
        this.ops = ops;
        embed = own(DType.BF16, (long) s.vocab() * s.hidden());
        head = tied ? embed : own(DType.BF16, (long) s.vocab() * s.hidden());
        finalNorm = own(DType.BF16, s.hidden());
        inputNorm = new Buf[s.layers()];
        postNorm = new Buf[s.layers()];
        proj = new Buf[s.layers()][Proj.values().length];
        for (int l = 0; l < s.layers(); l++) {
            inputNorm[l] = own(DType.BF16, s.hidden());
            postNorm[l] = own(DType.BF16, s.hidden());
            for (Proj p : Proj.values()) {
                int[] io = s.linear(p.module());
                proj[l][p.ordinal()] = own(DType.BF16, (long) io[0] * io[1]);
            }
        }
    }

    private Buf own(DType t, long n) {
        Buf b = ops.alloc(t, n);
        owned.add(b);
        return b;
    }

    public Buf proj(int layer, Proj p) {
        return proj[layer][p.ordinal()];
    }

    /** Reads a transformers checkpoint folder (names as LlamaForCausalLM saves them). */
    public static BaseWeights load(Ops ops, Path folder, DecoderSpec spec) {
        ModelShape s = spec.shape();
        TensorFiles files = TensorFiles.open(folder);
        boolean tied = spec.tiedHead() || !files.contains("lm_head.weight");
        BaseWeights w = new BaseWeights(ops, s, tied);
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
                for (Proj pr : Proj.values()) {
                    Buf b = w.proj(l, pr);
                    ops.upload(b, files.floats(p + pr.path + ".weight", b.elements()));
                }
            }
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    /** Random weights of the spec's shape (benchmarks): normal(0, 0.02) projections, unit norms, untied head. */
    public static BaseWeights random(Ops ops, DecoderSpec spec, long seed) {
        ModelShape s = spec.shape();
        BaseWeights w = new BaseWeights(ops, s, spec.tiedHead());
        long k = seed;
        for (Buf b : w.owned) {
            if (b.elements() == s.hidden()) {
                ops.fill(b, 1f);
            } else {
                ops.fillNormal(b, k++, 0.02f);
            }
        }
        return w;
    }

    @Override
    public void close() {
        owned.forEach(ops::free);
        owned.clear();
    }
}
