package io.jlora.gpu.train;

import static io.jlora.gpu.train.BaseWeights.Proj.DOWN;
import static io.jlora.gpu.train.BaseWeights.Proj.GATE;
import static io.jlora.gpu.train.BaseWeights.Proj.K;
import static io.jlora.gpu.train.BaseWeights.Proj.O;
import static io.jlora.gpu.train.BaseWeights.Proj.Q;
import static io.jlora.gpu.train.BaseWeights.Proj.UP;
import static io.jlora.gpu.train.BaseWeights.Proj.V;

import io.jlora.gpu.ModelShape;
import java.util.ArrayList;
import java.util.List;

/**
 * One LoRA training step of a Llama-style decoder, forward and hand-written backward, on any
 * {@link Ops} backend. The base is frozen: its projections get input gradients only; LoRA A and B get
 * fp32 gradients in {@link LoraParams#grad}. Attention is cuBLAS batched GEMMs over each key/value
 * head's group of query heads plus a causal softmax; the head and cross-entropy run in row chunks so
 * the full-vocabulary logits never exist at once. With checkpointing, only each layer's input is
 * kept and the layer is recomputed just before its backward (without its down projection, whose
 * output the backward does not read). All buffers are allocated once, for one batch shape.
 *
 * <p>One class, though long: the forward, the recomputation, the backward, the head and DPO's two
 * forwards share every activation and scratch buffer and the layer loop; split, they would pass some
 * thirty buffers between them.
 */
public final class LoraStep implements AutoCloseable {

    /** One layer's forward intermediates that its backward reads. */
    private final class Acts {
        final Buf inv1 = f32(t), xn1 = bf(t * h), qh = bf(t * qw), kh = bf(t * kvw), vh = bf(t * kvw),
                probs = bf((long) batch * shape.heads() * seq * seq), attn = bf(t * qw), x2 = bf(t * h),
                inv2 = f32(t), xn2 = bf(t * h), gate = bf(t * inter), up = bf(t * inter), act = bf(t * inter);
        /** x A^T of each projection, [tokens, r]. */
        final Buf[] low = new Buf[BaseWeights.Proj.values().length];
        /** Qwen3's qk-norm: q and k before their per-head RMSNorm, and 1/rms per head row. */
        final Buf qRaw = spec.qkNorm() ? bf(t * qw) : null, kRaw = spec.qkNorm() ? bf(t * kvw) : null,
                qInv = spec.qkNorm() ? f32(t * shape.heads()) : null, kInv = spec.qkNorm() ? f32(t * shape.kvHeads()) : null;

        Acts() {
            for (int i = 0; i < low.length; i++) {
                low[i] = bf(t * lora.rank);
            }
        }
    }

    private final Ops ops;
    private final DecoderSpec spec;
    private final ModelShape shape;
    private final BaseWeights w;
    private final LoraParams lora;
    private final int batch;
    private final int seq;
    private final boolean checkpointing;
    private final int headChunk;
    private final long t;
    private final long h;
    private final long qw;
    private final long kvw;
    private final long inter;
    private final List<Buf> owned = new ArrayList<>();

    private final Buf ids, labels, cos, sin, loss;
    private final Buf[] layerIn;
    private final Acts[] acts;
    // scratch shared by all layers
    private final Buf q, k, v, scores, attnHeads, dres, dxn, du, dAct, dGate, dUp, dAttn, dOutHeads, dqh, dkh, dvh,
            finalXn, finalInv, dFinalXn, logits, dLogits;
    private int optimizerSteps;
    private long microSteps;
    private float dropout;
    private long dropoutSeed;
    private Buf dropped;
    private Buf droppedGrad;
    private final long widestInput;
    private PhaseTimes phases;
    /** False while a DPO step computes its reference (the adapter disabled). */
    private boolean loraEnabled = true;

    /**
     * @param headChunk token rows per head/cross-entropy chunk (the F32 logits of one chunk are held)
     */
    public LoraStep(Ops ops, DecoderSpec spec, BaseWeights weights, LoraParams lora, int batch, int seq,
            boolean checkpointing, int headChunk) {
        this.ops = ops;
        this.spec = spec;
        this.shape = spec.shape();
        this.w = weights;
        this.lora = lora;
        this.batch = batch;
        this.seq = seq;
        this.checkpointing = checkpointing;
        this.t = (long) batch * seq;
        this.headChunk = (int) Math.min(headChunk, t);
        this.h = shape.hidden();
        this.qw = (long) shape.heads() * shape.headDim();
        this.kvw = (long) shape.kvHeads() * shape.headDim();
        this.inter = shape.intermediate();
        this.widestInput = Math.max(Math.max(h, qw), inter);
        if (shape.heads() % shape.kvHeads() != 0) {
            throw new IllegalArgumentException("heads (" + shape.heads() + ") must be a multiple of kv heads ("
                    + shape.kvHeads() + ")");
        }
        ids = alloc(DType.I32, t);
        labels = alloc(DType.I32, t);
        float[][] rot = spec.rotaryTables(seq);
        cos = f32(rot[0].length);
        sin = f32(rot[1].length);
        ops.upload(cos, rot[0]);
        ops.upload(sin, rot[1]);
        loss = f32(batch);
        layerIn = new Buf[shape.layers() + 1];
        for (int l = 0; l <= shape.layers(); l++) {
            layerIn[l] = bf(t * h);
        }
        acts = new Acts[checkpointing ? 1 : shape.layers()];
        for (int i = 0; i < acts.length; i++) {
            acts[i] = new Acts();
        }
        q = bf(t * qw);
        k = bf(t * kvw);
        v = bf(t * kvw);
        scores = f32((long) batch * shape.heads() * seq * seq);
        attnHeads = bf(t * qw);
        dres = bf(t * h);
        dxn = bf(t * h);
        du = bf(t * lora.rank);
        dAct = bf(t * inter);
        dGate = bf(t * inter);
        dUp = bf(t * inter);
        dAttn = bf(t * qw);
        dOutHeads = bf(t * qw);
        dqh = bf(t * qw);
        dkh = bf(t * kvw);
        dvh = bf(t * kvw);
        finalXn = bf(t * h);
        finalInv = f32(t);
        dFinalXn = bf(t * h);
        logits = f32((long) this.headChunk * shape.vocab());
        dLogits = bf((long) this.headChunk * shape.vocab());
    }

    private Buf alloc(DType type, long n) {
        Buf b = ops.alloc(type, n);
        owned.add(b);
        return b;
    }

    private Buf bf(long n) {
        return alloc(DType.BF16, n);
    }

    private Buf f32(long n) {
        return alloc(DType.F32, n);
    }

    /**
     * Forward and backward over one batch of {@code batch x seq} token ids (labels: the ids shifted
     * left within each row, as transformers' causal-LM loss); LoRA gradients are written (not
     * accumulated) to {@link LoraParams#grad}. Returns the mean cross-entropy.
     */
    public float forwardBackward(int[] tokenIds) {
        int[] next = new int[tokenIds.length];
        for (int i = 0; i < next.length; i++) {
            next[i] = (i + 1) % seq == 0 ? -1 : tokenIds[i + 1];
        }
        return forwardBackward(tokenIds, next, 1f / predicted(), false);
    }

    /**
     * Forward and backward over one micro-batch: {@code targets[i]} is the token position i predicts (-1:
     * none, e.g. padding, prompts, each row's last position), each predicted token's loss weighs
     * {@code tokenWeight} (1 / the tokens of the whole optimizer step, as transformers normalises over
     * gradient accumulation). Gradients are added to {@link LoraParams#grad} when {@code accumulate},
     * else written. Returns this micro-batch's weighted loss.
     */
    public float forwardBackward(int[] tokenIds, int[] targets, float tokenWeight, boolean accumulate) {
        mark(null);
        loadBatch(tokenIds, targets);
        microSteps++;
        if (!accumulate) {
            ops.zero(lora.grad);
        }
        forwardLayers();
        mark("forward");
        float[] weights = new float[batch];
        java.util.Arrays.fill(weights, tokenWeight);
        headAndLoss(true, weights);
        mark("head+loss");
        backwardLayers();
        float sum = 0;
        for (float v : ops.download(loss)) {
            sum += v;
        }
        return sum;
    }

    /**
     * One DPO micro-batch as TRL computes it, over {@code batch / 2} pairs: rows 0..P-1 hold prompt +
     * chosen, rows P..2P-1 prompt + rejected, {@code targets} only on completion tokens. The reference
     * log-probabilities are the model's with the adapter disabled (as PEFT's disable_adapter); the loss
     * is -logsigmoid(beta ((pc - rc) - (pr - rr))) per pair, weighted by {@code pairWeight} (1 / the
     * pairs of the optimizer step). Gradients are added when {@code accumulate}, else written. Returns
     * {weighted loss sum, then per pair: policy chosen, policy rejected, reference chosen, reference
     * rejected log-probabilities}.
     */
    public double[] dpoForwardBackward(int[] tokenIds, int[] targets, float beta, float pairWeight, boolean accumulate) {
        return dpoForwardBackward(tokenIds, targets, beta, pairWeight, accumulate, batch / 2);
    }

    /** As above, the pairs from {@code livePairs} on being padding (an epoch's last micro-batch): no loss, no gradient. */
    public double[] dpoForwardBackward(int[] tokenIds, int[] targets, float beta, float pairWeight, boolean accumulate,
            int livePairs) {
        if (batch % 2 != 0) {
            throw new IllegalArgumentException("a DPO step needs an even batch (pairs), not " + batch);
        }
        loadBatch(tokenIds, targets);
        microSteps++;
        float[] weights = new float[batch];
        double[] out = dpoForward(beta, pairWeight, livePairs, weights);
        if (!accumulate) {
            ops.zero(lora.grad);
        }
        headAndLoss(true, weights);
        backwardLayers();
        return out;
    }

    /**
     * The reference and policy forwards of a loaded DPO batch: {weighted loss sum, per pair pc, pr, rc, rr},
     * and each row's cross-entropy weight for the backward into {@code weights}.
     */
    private double[] dpoForward(float beta, float pairWeight, int livePairs, float[] weights) {
        int pairs = batch / 2;
        loraEnabled = false;
        float[] reference;
        try {
            reference = forwardRowLosses();
        } finally {
            loraEnabled = true;
        }
        float[] policy = forwardRowLosses();
        double[] out = new double[1 + 4 * pairs];
        for (int p = 0; p < livePairs; p++) {
            // a row's loss is its negative log-probability
            double pc = -policy[p], pr = -policy[pairs + p], rc = -reference[p], rr = -reference[pairs + p];
            double z = beta * ((pc - rc) - (pr - rr));
            double sigmoidNegZ = 1 / (1 + Math.exp(z));
            out[0] += pairWeight * (Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)))); // -logsigmoid(z)
            weights[p] = (float) (pairWeight * beta * sigmoidNegZ);
            weights[pairs + p] = -weights[p];
            out[1 + 4 * p] = pc;
            out[2 + 4 * p] = pr;
            out[3 + 4 * p] = rc;
            out[4 + 4 * p] = rr;
        }
        return out;
    }

    /** The summed cross-entropy over the targets of a batch, forward only, dropout off (evaluation). */
    public double evalLossSum(int[] tokenIds, int[] targets) {
        loadBatch(tokenIds, targets);
        float p = dropout;
        dropout = 0f;
        try {
            double sum = 0;
            for (float v : forwardRowLosses()) {
                sum += v;
            }
            return sum;
        } finally {
            dropout = p;
        }
    }

    /** The summed DPO loss of the first {@code livePairs} pairs of a batch, forward only (evaluation). */
    public double dpoEvalLossSum(int[] tokenIds, int[] targets, float beta, int livePairs) {
        loadBatch(tokenIds, targets);
        return dpoForward(beta, 1f, livePairs, new float[batch])[0];
    }

    /** A forward pass over the loaded batch; each row's summed cross-entropy. */
    private float[] forwardRowLosses() {
        forwardLayers();
        float[] ones = new float[batch];
        java.util.Arrays.fill(ones, 1f);
        headAndLoss(false, ones);
        return ops.download(loss);
    }

    /** Embedding and every layer's forward over the loaded batch, keeping what the backward reads. */
    private void forwardLayers() {
        ops.embed(ids, w.embed, layerIn[0], (int) t, (int) h);
        for (int l = 0; l < shape.layers(); l++) {
            forward(l, acts[checkpointing ? 0 : l], false);
        }
    }

    /** Every layer's backward, last first, recomputing each layer first with checkpointing; dres on entry: the head's. */
    private void backwardLayers() {
        for (int l = shape.layers() - 1; l >= 0; l--) {
            Acts a = acts[checkpointing ? 0 : l];
            if (checkpointing) {
                forward(l, a, true);
                mark("recompute");
            }
            backward(l, a);
            mark("backward");
        }
    }

    /** Times the phases of the following steps (null: stop); costs a device synchronization per phase. */
    public void timePhases(PhaseTimes times) {
        this.phases = times;
    }

    private void mark(String phase) {
        if (phases == null) {
            return;
        }
        ops.synchronize();
        long now = System.nanoTime();
        if (phase != null) {
            phases.seconds.merge(phase, (now - phases.last) / 1e9, Double::sum);
        }
        phases.last = now;
    }

    /** The logits {@code [batch * seq, vocab]} of a forward pass (parity checks; small models). */
    public float[] logits(int[] tokenIds) {
        loadBatch(tokenIds, new int[tokenIds.length]);
        forwardLayers();
        ops.rmsnorm(layerIn[shape.layers()], w.finalNorm, finalXn, finalInv, (int) t, (int) h, spec.rmsNormEps());
        float[] out = new float[Math.toIntExact(t * shape.vocab())];
        for (long c0 = 0; c0 < t; c0 += headChunk) {
            int rows = (int) Math.min(headChunk, t - c0);
            Buf chunk = logits.slice(0, (long) rows * shape.vocab());
            ops.gemm(false, true, rows, shape.vocab(), (int) h, 1f, finalXn.slice(c0 * h, rows * h), (int) h, w.head,
                    (int) h, 0f, chunk, shape.vocab());
            float[] part = ops.download(chunk);
            System.arraycopy(part, 0, out, (int) (c0 * shape.vocab()), part.length);
        }
        return out;
    }

    /**
     * Clips the gradients to {@code maxGradNorm} (0: no clipping) as torch's clip_grad_norm_ does and
     * takes one torch.optim.AdamW step. Returns the gradient norm before clipping.
     */
    public double optimizerStep(float lr, float beta1, float beta2, float eps, float weightDecay, float maxGradNorm) {
        mark(null);
        double norm = Math.sqrt(ops.sumOfSquares(lora.grad));
        float clip = maxGradNorm > 0 && norm > maxGradNorm ? (float) (maxGradNorm / (norm + 1e-6)) : 1f;
        optimizerSteps++;
        float bc1 = (float) (1 - Math.pow(beta1, optimizerSteps));
        float bc2 = (float) (1 - Math.pow(beta2, optimizerSteps));
        ops.adamw(lora.master, lora.grad, lora.adamM, lora.adamV, lora.shadow, lr, beta1, beta2, eps, weightDecay,
                bc1, bc2, clip);
        mark("optimizer");
        return norm;
    }

    private void loadBatch(int[] tokenIds, int[] targets) {
        if (tokenIds.length != t || targets.length != t) {
            throw new IllegalArgumentException("a batch of " + tokenIds.length + " ids and " + targets.length
                    + " targets; this step takes " + batch + " x " + seq);
        }
        float[] in = new float[(int) t];
        float[] next = new float[(int) t];
        for (int i = 0; i < t; i++) {
            for (int id : new int[] {tokenIds[i], targets[i]}) {
                if (id < -1 || id >= shape.vocab()) {
                    throw new IllegalArgumentException("token id " + id + " at " + i + " is outside the vocabulary ("
                            + shape.vocab() + ")");
                }
            }
            in[i] = Math.max(0, tokenIds[i]);
            next[i] = targets[i];
        }
        ops.upload(ids, in);
        ops.upload(labels, next);
    }

    /**
     * LoRA dropout as PEFT applies it: on each adapted projection's input to A, an independent mask per
     * projection, layer and micro-batch (drawn from {@code seed}); 0 turns it off.
     */
    public void setDropout(float p, long seed) {
        if (p < 0 || p >= 1) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + p);
        }
        this.dropout = p;
        this.dropoutSeed = seed;
        if (p > 0 && dropped == null) {
            dropped = bf(t * widestInput);
            droppedGrad = bf(t * widestInput);
        }
    }

    /** AdamW updates applied so far (its bias correction); set when resuming. */
    public long optimizerSteps() {
        return optimizerSteps;
    }

    public void setOptimizerSteps(long steps) {
        this.optimizerSteps = (int) steps;
    }

    /** Draws the next micro-step's dropout masks as the first one's (tests take finite differences). */
    void restartMasks() {
        microSteps = 0;
    }

    private long maskSeed(int layer, BaseWeights.Proj p) {
        return ((dropoutSeed * 1_000_003L + microSteps) * 4099L + layer) * 7L + p.ordinal();
    }

    /** x, or its dropout for projection p of layer l in this micro-step (regenerated identically by the backward). */
    private Buf loraInput(Buf x, int l, BaseWeights.Proj p) {
        if (dropout == 0f) {
            return x;
        }
        long n = t * shape.linear(p.module())[0];
        Buf out = dropped.slice(0, n);
        ops.dropout(x, out, n, maskSeed(l, p), dropout);
        return out;
    }

    /** Predicted tokens: every position but each row's last. */
    private long predicted() {
        return (long) batch * (seq - 1);
    }

    private void forward(int l, Acts a, boolean recompute) {
        int T = (int) t, H = (int) h, nh = shape.heads(), nkv = shape.kvHeads(), hd = shape.headDim();
        Buf x = layerIn[l];
        ops.rmsnorm(x, w.inputNorm[l], a.xn1, a.inv1, T, H, spec.rmsNormEps());
        project(a.xn1, l, Q, spec.qkNorm() ? a.qRaw : q, a, 0f);
        project(a.xn1, l, K, spec.qkNorm() ? a.kRaw : k, a, 0f);
        project(a.xn1, l, V, v, a, 0f);
        if (w.qkvBias != null) {
            ops.addBias(spec.qkNorm() ? a.qRaw : q, w.qkvBias[l][0], T, (int) qw);
            ops.addBias(spec.qkNorm() ? a.kRaw : k, w.qkvBias[l][1], T, (int) kvw);
            ops.addBias(v, w.qkvBias[l][2], T, (int) kvw);
        }
        if (spec.qkNorm()) { // per head: rows of headDim
            ops.rmsnorm(a.qRaw, w.qNorm[l], q, a.qInv, T * nh, hd, spec.rmsNormEps());
            ops.rmsnorm(a.kRaw, w.kNorm[l], k, a.kInv, T * nkv, hd, spec.rmsNormEps());
        }
        ops.toHeads(q, a.qh, batch, seq, nh, hd, cos, sin);
        ops.toHeads(k, a.kh, batch, seq, nkv, hd, cos, sin);
        ops.toHeads(v, a.vh, batch, seq, nkv, hd, null, null);
        int groups = batch * nkv, gs = nh / nkv * seq;
        ops.gemm(false, true, gs, seq, hd, spec.attentionScale(), a.qh, hd, (long) gs * hd, a.kh, hd, (long) seq * hd,
                0f, scores, seq, (long) gs * seq, groups);
        ops.causalSoftmax(scores, a.probs, (long) batch * nh * seq, seq);
        ops.gemm(false, false, gs, hd, seq, 1f, a.probs, seq, (long) gs * seq, a.vh, hd, (long) seq * hd, 0f,
                attnHeads, hd, (long) gs * hd, groups);
        ops.fromHeads(attnHeads, a.attn, batch, seq, nh, hd, null, null);
        ops.copy(x, a.x2);
        project(a.attn, l, O, a.x2, a, 1f);
        ops.rmsnorm(a.x2, w.postNorm[l], a.xn2, a.inv2, T, H, spec.rmsNormEps());
        project(a.xn2, l, GATE, a.gate, a, 0f);
        project(a.xn2, l, UP, a.up, a, 0f);
        ops.swiglu(a.gate, a.up, a.act, t * inter);
        if (recompute) {
            lowRank(a.act, l, DOWN, a);
        } else {
            ops.copy(a.x2, layerIn[l + 1]);
            project(a.act, l, DOWN, layerIn[l + 1], a, 1f);
        }
    }

    /** {@code y = beta * y + x W^T + scale * (x A^T) B^T}, keeping {@code x A^T} for the backward. */
    private void project(Buf x, int l, BaseWeights.Proj p, Buf y, Acts a, float beta) {
        int[] io = shape.linear(p.module());
        ops.gemm(false, true, (int) t, io[1], io[0], 1f, x, io[0], w.weight(l, p), io[0], beta, y, io[1]);
        if (!loraEnabled) {
            return;
        }
        lowRank(x, l, p, a);
        ops.gemm(false, true, (int) t, io[1], lora.rank, lora.scale, a.low[p.ordinal()], lora.rank, lora.b(l, p),
                lora.rank, 1f, y, io[1]);
    }

    private void lowRank(Buf x, int l, BaseWeights.Proj p, Acts a) {
        int in = shape.linear(p.module())[0];
        ops.gemm(false, true, (int) t, lora.rank, in, 1f, loraInput(x, l, p), in, lora.a(l, p), in, 0f,
                a.low[p.ordinal()], lora.rank);
    }

    /**
     * Gradients of {@link #project}: {@code dx = betaX * dx + dy W + (scale dy B) A}, {@code dB = scale dy^T (x A^T)},
     * {@code dA = (scale dy B)^T x}.
     */
    private void projectBackward(Buf x, int l, BaseWeights.Proj p, Acts a, Buf dy, Buf dx, float betaX) {
        int[] io = shape.linear(p.module());
        int in = io[0], out = io[1], T = (int) t, r = lora.rank;
        ops.gemm(false, false, T, in, out, 1f, dy, out, w.weight(l, p), in, betaX, dx, in);
        ops.gemm(true, false, out, r, T, lora.scale, dy, out, a.low[p.ordinal()], r, 1f, lora.gradB(l, p), r);
        ops.gemm(false, false, T, r, out, lora.scale, dy, out, lora.b(l, p), r, 0f, du, r);
        ops.gemm(true, false, r, in, T, 1f, du, r, loraInput(x, l, p), in, 1f, lora.gradA(l, p), in);
        if (dropout == 0f) {
            ops.gemm(false, false, T, in, r, 1f, du, r, lora.a(l, p), in, 1f, dx, in);
        } else {
            Buf g = droppedGrad.slice(0, t * in);
            ops.gemm(false, false, T, in, r, 1f, du, r, lora.a(l, p), in, 0f, g, in);
            ops.dropoutBackwardAdd(g, dx, t * in, maskSeed(l, p), dropout);
        }
    }

    /**
     * Final norm, head and cross-entropy, one sequence (row of the batch) at a time in chunks of at most
     * {@code headChunk} tokens: row r's weighted loss lands in {@code loss[r]}, its tokens' gradients are
     * weighted by {@code rowWeights[r]} (SFT: the token weight everywhere; DPO: each sequence's share
     * of the pair loss's gradient). With {@code backward}, leaves the gradient of the last layer's output
     * in dres.
     */
    private void headAndLoss(boolean backward, float[] rowWeights) {
        int T = (int) t, H = (int) h, vocab = shape.vocab();
        Buf x = layerIn[shape.layers()];
        ops.rmsnorm(x, w.finalNorm, finalXn, finalInv, T, H, spec.rmsNormEps());
        ops.zero(loss);
        for (int r = 0; r < batch; r++) {
            for (long c0 = (long) r * seq; c0 < (long) (r + 1) * seq; c0 += headChunk) {
                int rows = (int) Math.min(headChunk, (long) (r + 1) * seq - c0);
                Buf chunkLogits = logits.slice(0, (long) rows * vocab);
                Buf chunkGrad = dLogits.slice(0, (long) rows * vocab);
                ops.gemm(false, true, rows, vocab, H, 1f, finalXn.slice(c0 * h, rows * h), H, w.head, H, 0f,
                        chunkLogits, vocab);
                ops.crossEntropy(chunkLogits, labels.slice(c0, rows), chunkGrad, loss.slice(r, 1), rows, vocab,
                        rowWeights[r]);
                if (backward) {
                    ops.gemm(false, false, rows, H, vocab, 1f, chunkGrad, vocab, w.head, H, 0f,
                            dFinalXn.slice(c0 * h, rows * h), H);
                }
            }
        }
        if (backward) {
            ops.zero(dres);
            ops.rmsnormBackward(dFinalXn, x, w.finalNorm, finalInv, dres, T, H);
        }
    }

    /** dres: the gradient of layer l's output on entry, of its input on return. */
    private void backward(int l, Acts a) {
        int T = (int) t, H = (int) h, nh = shape.heads(), nkv = shape.kvHeads(), hd = shape.headDim();
        int groups = batch * nkv, gs = nh / nkv * seq;
        projectBackward(a.act, l, DOWN, a, dres, dAct, 0f);
        ops.swigluBackward(dAct, a.gate, a.up, dGate, dUp, t * inter);
        projectBackward(a.xn2, l, GATE, a, dGate, dxn, 0f);
        projectBackward(a.xn2, l, UP, a, dUp, dxn, 1f);
        ops.rmsnormBackward(dxn, a.x2, w.postNorm[l], a.inv2, dres, T, H);
        projectBackward(a.attn, l, O, a, dres, dAttn, 0f);
        ops.toHeads(dAttn, dOutHeads, batch, seq, nh, hd, null, null);
        // dP = dO V^T (into the F32 scores), dV = P^T dO summed over the group's heads
        ops.gemm(false, true, gs, seq, hd, 1f, dOutHeads, hd, (long) gs * hd, a.vh, hd, (long) seq * hd, 0f, scores,
                seq, (long) gs * seq, groups);
        ops.gemm(true, false, seq, hd, gs, 1f, a.probs, seq, (long) gs * seq, dOutHeads, hd, (long) gs * hd, 0f, dvh,
                hd, (long) seq * hd, groups);
        // dS overwrites P (read for the last time above)
        ops.causalSoftmaxBackward(a.probs, scores, a.probs, (long) batch * nh * seq, seq);
        float sc = spec.attentionScale();
        ops.gemm(false, false, gs, hd, seq, sc, a.probs, seq, (long) gs * seq, a.kh, hd, (long) seq * hd, 0f, dqh, hd,
                (long) gs * hd, groups);
        ops.gemm(true, false, seq, hd, gs, sc, a.probs, seq, (long) gs * seq, a.qh, hd, (long) gs * hd, 0f, dkh, hd,
                (long) seq * hd, groups);
        ops.fromHeads(dqh, q, batch, seq, nh, hd, cos, sin);
        ops.fromHeads(dkh, k, batch, seq, nkv, hd, cos, sin);
        ops.fromHeads(dvh, v, batch, seq, nkv, hd, null, null);
        Buf dq = q, dk = k;
        if (spec.qkNorm()) { // through the per-head RMSNorm, into the (now free) head-major buffers
            dq = dqh;
            dk = dkh;
            ops.zero(dq);
            ops.zero(dk);
            ops.rmsnormBackward(q, a.qRaw, w.qNorm[l], a.qInv, dq, T * nh, hd);
            ops.rmsnormBackward(k, a.kRaw, w.kNorm[l], a.kInv, dk, T * nkv, hd);
        }
        projectBackward(a.xn1, l, Q, a, dq, dxn, 0f);
        projectBackward(a.xn1, l, K, a, dk, dxn, 1f);
        projectBackward(a.xn1, l, V, a, v, dxn, 1f);
        ops.rmsnormBackward(dxn, layerIn[l], w.inputNorm[l], a.inv1, dres, T, H);
    }

    /** Bytes this step allocated (activations and scratch), beside the weights'. */
    public long bytes() {
        return owned.stream().mapToLong(b -> b.elements() * b.dtype().bytes).sum();
    }

    @Override
    public void close() {
        owned.forEach(ops::free);
        owned.clear();
    }
}
