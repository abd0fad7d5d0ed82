package io.jlora.gpu.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Every {@link Ops} operation of one backend against another on fresh random inputs (the same inputs,
 * rounded to bf16 where the operation reads bf16): {@code ||out - ref|| / ||ref||} per output. The device
 * check runs {@link CudaOps} against {@link HostOps}; a bf16 operation passes under 1e-2, an fp32 one
 * under 1e-4.
 */
public final class OpsCheck {

    /** One operation's outcome. */
    public record Line(String op, double relError, double tolerance) {
        public boolean passed() {
            return relError <= tolerance;
        }

        @Override
        public String toString() {
            return String.format("%s %-28s rel.error %.2e (tolerance %.0e)", passed() ? "PASS" : "FAIL", op, relError,
                    tolerance);
        }
    }

    private final Ops test;
    private final Ops ref;
    private final SplittableRandom random;
    private final List<Line> lines = new ArrayList<>();

    public OpsCheck(Ops test, Ops ref, long seed) {
        this.test = test;
        this.ref = ref;
        this.random = new SplittableRandom(seed);
    }

    private float[] values(long n, double scale, boolean bf16) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
            if (bf16) {
                v[i] = Float.intBitsToFloat(io.jlora.io.Bfloat16.round(v[i]) << 16);
            }
        }
        return v;
    }

    /** The same values in a buffer of each backend. */
    private record Pair(Buf t, Buf r) {
    }

    private Pair pair(DType type, float[] v) {
        Buf t = test.alloc(type, v.length);
        Buf r = ref.alloc(type, v.length);
        test.upload(t, v);
        ref.upload(r, v);
        return new Pair(t, r);
    }

    private Pair random(DType type, long n, double scale) {
        return pair(type, values(n, scale, type == DType.BF16));
    }

    private Pair ints(long n, int bound, boolean someNegative) {
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = someNegative && i % 7 == 3 ? -1 : random.nextInt(bound);
        }
        return pair(DType.I32, v);
    }

    private void compare(String op, Pair p, double tol) {
        float[] a = test.download(p.t());
        float[] b = ref.download(p.r());
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            num += Double.isNaN(d) ? Double.POSITIVE_INFINITY : d * d;
            den += (double) b[i] * b[i];
        }
        lines.add(new Line(op, Math.sqrt(num / Math.max(den, 1e-30)), tol));
    }

    private void both(java.util.function.Consumer<Ops> op) {
        op.accept(test);
        op.accept(ref);
    }


    private Buf of(Ops o, Pair p) {
        return o == test ? p.t() : p.r();
    }

    /** Runs every check; returns the lines (also kept). */
    public List<Line> run() {
        double bf = 1e-2, fp = 1e-4;
        // GEMM: every transpose combination, bf16 -> bf16 and bf16 -> f32, batched with strides
        for (int tr = 0; tr < 4; tr++) {
            boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
            int m = 48, n = 40, k = 72, batch = 3;
            Pair a = random(DType.BF16, (long) batch * m * k, 1), b = random(DType.BF16, (long) batch * k * n, 1);
            for (DType ct : new DType[] {DType.BF16, DType.F32}) {
                Pair c = random(ct, (long) batch * m * n, 1);
                both(o -> o.gemm(ta, tb, m, n, k, 0.5f, of(o, a), ta ? m : k, (long) m * k, of(o, b), tb ? k : n,
                        (long) k * n, 1f, of(o, c), n, (long) m * n, batch));
                compare("gemm " + (ta ? "T" : "N") + (tb ? "T" : "N") + " -> " + ct, c, ct == DType.F32 ? 1e-3 : bf);
            }
        }
        Pair by = random(DType.BF16, 7L * 96, 1), bb = random(DType.BF16, 96, 1);
        both(o -> o.addBias(of(o, by), of(o, bb), 7, 96));
        compare("addBias", by, bf);

        int rows = 24, cols = 2112;
        Pair x = random(DType.BF16, (long) rows * cols, 2), w = random(DType.BF16, cols, 1);
        Pair y = random(DType.BF16, (long) rows * cols, 1), inv = random(DType.F32, rows, 1);
        both(o -> o.rmsnorm(of(o, x), of(o, w), of(o, y), of(o, inv), rows, cols, 1e-5f));
        compare("rmsnorm", y, bf);
        compare("rmsnorm 1/rms", inv, fp);
        Pair dy = random(DType.BF16, (long) rows * cols, 1), acc = random(DType.BF16, (long) rows * cols, 1);
        both(o -> o.rmsnormBackward(of(o, dy), of(o, x), of(o, w), of(o, inv), of(o, acc), rows, cols));
        compare("rmsnorm backward", acc, bf);

        int batch = 2, seq = 40, heads = 3, hd = 64;
        Pair src = random(DType.BF16, (long) batch * seq * heads * hd, 1);
        Pair cos = pair(DType.F32, values((long) seq * hd / 2, 1, false));
        Pair sin = pair(DType.F32, values((long) seq * hd / 2, 1, false));
        Pair dst = random(DType.BF16, (long) batch * seq * heads * hd, 1);
        both(o -> o.toHeads(of(o, src), of(o, dst), batch, seq, heads, hd, of(o, cos), of(o, sin)));
        compare("toHeads rotating", dst, bf);
        both(o -> o.fromHeads(of(o, src), of(o, dst), batch, seq, heads, hd, of(o, cos), of(o, sin)));
        compare("fromHeads rotating back", dst, bf);
        both(o -> o.toHeads(of(o, src), of(o, dst), batch, seq, heads, hd, null, null));
        compare("toHeads plain", dst, bf);
        both(o -> o.fromHeads(of(o, src), of(o, dst), batch, seq, heads, hd, null, null));
        compare("fromHeads plain", dst, bf);

        long srows = 3L * seq;
        Pair scores = random(DType.F32, srows * seq, 3), probs = random(DType.BF16, srows * seq, 1);
        both(o -> o.causalSoftmax(of(o, scores), of(o, probs), srows, seq));
        compare("causalSoftmax", probs, bf);
        Pair dp = random(DType.F32, srows * seq, 1), ds = random(DType.BF16, srows * seq, 1);
        both(o -> o.causalSoftmaxBackward(of(o, probs), of(o, dp), of(o, ds), srows, seq));
        compare("causalSoftmaxBackward", ds, bf);
        both(o -> o.causalSoftmaxBackward(of(o, probs), of(o, dp), of(o, probs), srows, seq));
        compare("causalSoftmaxBackward in place", probs, bf);

        long n = 10_000;
        Pair g = random(DType.BF16, n, 2), u = random(DType.BF16, n, 1), hh = random(DType.BF16, n, 1);
        both(o -> o.swiglu(of(o, g), of(o, u), of(o, hh), n));
        compare("swiglu", hh, bf);
        Pair dg = random(DType.BF16, n, 1), du = random(DType.BF16, n, 1);
        both(o -> o.swigluBackward(of(o, hh), of(o, g), of(o, u), of(o, dg), of(o, du), n));
        compare("swiglu backward: gate", dg, bf);
        compare("swiglu backward: up", du, bf);

        int crow = 9, vocab = 5000;
        Pair logits = random(DType.F32, (long) crow * vocab, 3), labels = ints(crow, vocab, true);
        Pair dl = random(DType.BF16, (long) crow * vocab, 1), loss = pair(DType.F32, new float[] {0.25f});
        both(o -> o.crossEntropy(of(o, logits), of(o, labels), of(o, dl), of(o, loss), crow, vocab, 0.125f));
        compare("crossEntropy loss", loss, fp);
        compare("crossEntropy gradient", dl, bf);

        int tokens = 50, hidden = 96;
        Pair table = random(DType.BF16, 300L * hidden, 1), ids = ints(tokens, 300, false);
        Pair emb = random(DType.BF16, (long) tokens * hidden, 1);
        both(o -> o.embed(of(o, ids), of(o, table), of(o, emb), tokens, hidden));
        compare("embed", emb, 0);

        long qn = 64L * 300 + 2; // a partial last block
        float[] bytes = new float[(int) ((qn + 1) / 2)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = random.nextInt(256);
        }
        Pair qp = pair(DType.U8, bytes), qa = pair(DType.F32, abs(values((qn + 63) / 64, 0.05, false)));
        Pair code = pair(DType.F32, io.jlora.quant.FourBitType.NF4.code()), qout = random(DType.BF16, qn, 1);
        both(o -> o.dequant4(of(o, qp), of(o, qa), of(o, code), of(o, qout), qn, 64));
        compare("dequant4 nf4", qout, 5e-3);

        int ir = 37, ic = 130;
        float[] codes = new float[ir * ic];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = random.nextInt(256); // the bytes of signed codes -128..127
        }
        Pair ic8 = pair(DType.U8, codes), ia = pair(DType.F32, abs(values(ir, 0.1, false)));
        Pair iout = random(DType.BF16, (long) ir * ic, 1);
        both(o -> o.dequantInt8(of(o, ic8), of(o, ia), of(o, iout), ir, ic));
        compare("dequantInt8", iout, 5e-3);

        long dn = 70_001;
        Pair dx = random(DType.BF16, dn, 1), dout = random(DType.BF16, dn, 1);
        both(o -> o.dropout(of(o, dx), of(o, dout), dn, 12345L, 0.1f));
        compare("dropout (same mask)", dout, bf);
        Pair dacc = random(DType.BF16, dn, 1);
        both(o -> o.dropoutBackwardAdd(of(o, dx), of(o, dacc), dn, 777L, 0.3f));
        compare("dropoutBackwardAdd", dacc, bf);

        Pair sq = random(DType.F32, 100_003, 1);
        double a2 = test.sumOfSquares(sq.t()), b2 = ref.sumOfSquares(sq.r());
        lines.add(new Line("sumOfSquares", Math.abs(a2 - b2) / b2, fp));

        long pn = 5000;
        Pair master = random(DType.F32, pn, 1), grad = random(DType.F32, pn, 1), mm = random(DType.F32, pn, 0.1);
        Pair vv = pair(DType.F32, abs(values(pn, 0.1, false))), shadow = random(DType.BF16, pn, 1);
        both(o -> o.adamw(of(o, master), of(o, grad), of(o, mm), of(o, vv), of(o, shadow), 1e-3f, 0.9f, 0.999f, 1e-8f,
                0.01f, 0.19f, 0.002f, 0.5f));
        compare("adamw master", master, 1e-6);
        compare("adamw m", mm, 1e-6);
        compare("adamw v", vv, 1e-6);
        compare("adamw bf16 copy", shadow, bf);
        Pair fu = random(DType.F32, 3001, 1), fn = random(DType.BF16, 3001, 1), fb = pair(DType.U8, new float[3001]);
        both(o -> o.fillUniform(of(o, fu), 77L, 0.3f));
        both(o -> o.fillNormal(of(o, fn), 78L, 0.02f));
        both(o -> o.fillUniform(of(o, fb), 79L, 1f));
        compare("fillUniform (same draws)", fu, 1e-6);
        compare("fillNormal (same draws)", fn, bf);
        compare("fillUniform bytes", fb, 0);
        Pair conv = random(DType.F32, 777, 1), convOut = random(DType.BF16, 777, 1);
        both(o -> o.convert(of(o, conv), of(o, convOut)));
        compare("convert f32 -> bf16", convOut, 5e-3);
        return List.copyOf(lines);
    }

    private static float[] abs(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i]);
        }
        return v;
    }
}
