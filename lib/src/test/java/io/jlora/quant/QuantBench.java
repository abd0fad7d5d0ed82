package io.jlora.quant;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.jlora.io.DirectViews;
import io.jlora.model.CausalLm;
import io.jlora.model.CausalLmLoss;
import io.jlora.model.Decoder;
import io.jlora.model.Family;
import io.jlora.model.Linear;
import io.jlora.model.RandomModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Benchmarks of the quant package (run by bench/quant/run.sh):
 * <ul>
 *   <li>{@code dequant ROWS COLS REPEATS}: GB/s of float32 output dequantizing one NF4 weight, plain
 *       Java path vs DJL-op path (and the nibble-splitting op variant), same run, same threads;
 *   <li>{@code step DIR SEQ REPEATS}: forward+backward time of a LoRA step (r 16, every projection)
 *       on the model in DIR, float32 base vs int4 (QLoRA) base, interleaved, and their ratio.
 * </ul>
 */
public final class QuantBench {

    private QuantBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "dequant": dequant(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3])); break;
            case "write": RandomModels.write(Path.of(args[1]), Family.LLAMA, 768, 12, 12, 4, 2048, 32000, 7); break;
            case "step": step(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3])); break;
            default: throw new IllegalArgumentException("dequant ROWS COLS REPEATS | write DIR | step DIR SEQ REPEATS");
        }
    }

    static void dequant(int rows, int cols, int repeats) {
        float[] w = new float[rows * cols];
        Random r = new Random(1);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.02);
        }
        long t0 = System.nanoTime();
        PackedFourBit packed = FourBitQuantizer.quantize(w, new long[] {rows, cols}, FourBitSpec.qlora());
        double quantizeS = (System.nanoTime() - t0) / 1e9;
        System.out.printf("NF4 %dx%d, blocks of 64, double-quantized; quantize %.2f s (%.0f M weights/s)%n",
                rows, cols, quantizeS, w.length / quantizeS / 1e6);
        double gb = 4.0 * w.length / 1e9;
        try (NDManager m = NDManager.newBaseManager()) {
            FourBitWeight q = FourBitWeight.upload(packed, m);
            NDArray table = DjlFourBitDequantizer.pairTable(m, FourBitType.NF4.code());
            double java = best(repeats, () -> q.dequantize(m, DequantPath.JAVA));
            double ops = best(repeats, () -> q.dequantize(m, DequantPath.DJL_OPS));
            double nibbles = best(repeats, () -> nibbleSplit(q, m));
            // the same Java decode into one tensor reused: what is left once libtorch's fresh
            // (page-faulting) 64 MiB allocation per call is taken out
            NDArray reused = m.create(new Shape(rows, cols), DataType.FLOAT32);
            float[] absmax = packed.blockAbsmax();
            double decodeOnly = best(repeats, () -> {
                FourBitDequantizer.dequantize(DirectViews.bytes(q.packed()), absmax, FourBitType.NF4.code(), 64,
                        (long) rows * cols, DirectViews.floats(reused));
                return null;
            });
            System.out.printf("%-34s %8s %8s%n", "dequantize to float32", "ms", "GB/s");
            System.out.printf("%-34s %8.1f %8.2f%n", "java (256-entry pair table)", java * 1e3, gb / java);
            System.out.printf("%-34s %8.1f %8.2f%n", "djl ops (pair-table gather)", ops * 1e3, gb / ops);
            System.out.printf("%-34s %8.1f %8.2f%n", "djl ops (div/floor/mod nibbles)", nibbles * 1e3, gb / nibbles);
            System.out.printf("%-34s %8.1f %8.2f%n", "java, into a reused tensor", decodeOnly * 1e3, gb / decodeOnly);
            table.close();
        }
    }

    /** The op version the textbook way: split nibbles with div/floor/mod, gather each on the code. */
    private static NDArray nibbleSplit(FourBitWeight q, NDManager m) {
        try (NDManager s = m.newSubManager()) {
            NDArray bytes = q.packed().toType(DataType.INT32, false);
            bytes.attach(s);
            NDArray high = bytes.div(16).floor().toType(DataType.INT64, false);
            NDArray low = bytes.mod(16).toType(DataType.INT64, false);
            NDArray code = s.create(FourBitType.NF4.code());
            NDArray values = code.get(high).expandDims(1).concat(code.get(low).expandDims(1), 1).reshape(-1, 64);
            NDArray absmax = DjlFourBitDequantizer.nestedAbsmax(q.nestedCodes(), s.create(DynamicMap.signed()),
                    q.nestedScales(), q.nestedOffset(), s);
            NDArray out = values.mul(absmax.reshape(-1, 1)).reshape(q.shape());
            out.attach(m);
            return out;
        }
    }

    /**
     * Both models loaded side by side, their steps interleaved (LoRA, QLoRA, LoRA, ...): on a
     * shared machine a burst of load then hits both sides of a pair alike, so the median of the
     * per-pair ratios is steadier than a ratio of two separately measured bests (printed too).
     */
    static void step(Path dir, int seq, int repeats) {
        try (Side plain = Side.load(dir, "none"); Side qlora = Side.load(dir, "int4")) {
            long[] ids = new long[seq];
            Arrays.setAll(ids, i -> (i * 7919L) % 32000);
            plain.step(ids);
            qlora.step(ids); // warm-up pair, not counted
            double[] ratios = new double[repeats];
            double bestPlain = Double.MAX_VALUE;
            double bestQlora = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                double p = plain.step(ids);
                double q = qlora.step(ids);
                ratios[i] = q / p;
                bestPlain = Math.min(bestPlain, p);
                bestQlora = Math.min(bestQlora, q);
                System.out.printf("  pair %d: float32 base %.0f ms, int4 base %.0f ms, ratio %.2fx%n", i + 1, p * 1e3,
                        q * 1e3, ratios[i]);
            }
            Arrays.sort(ratios);
            double median = repeats % 2 == 1 ? ratios[repeats / 2] : (ratios[repeats / 2 - 1] + ratios[repeats / 2]) / 2;
            System.out.printf("frozen projections: float32 %.0f MB, int4 %.0f MB%n", plain.storedBytes / 1e6,
                    qlora.storedBytes / 1e6);
            System.out.printf("LoRA r16 forward+backward, batch 1 x %d tokens, %d interleaved pairs: median ratio %.2fx"
                    + " (range %.2f-%.2fx); best float32 base %.0f ms, best int4 base %.0f ms, ratio of bests %.2fx%n",
                    seq, repeats, median, ratios[0], ratios[repeats - 1], bestPlain * 1e3, bestQlora * 1e3,
                    bestQlora / bestPlain);
        }
    }

    /** One loaded model with rank-16 pairs on every projection but the head. */
    private static final class Side implements AutoCloseable {
        final CausalLm lm;
        final NDManager adapters;
        final long storedBytes;

        private Side(CausalLm lm, NDManager adapters, long storedBytes) {
            this.lm = lm;
            this.adapters = adapters;
            this.storedBytes = storedBytes;
        }

        static Side load(Path dir, String quantization) {
            CausalLm lm = QuantizedModels.load(dir, "cpu", "auto", quantization);
            NDManager adapters = lm.manager().newSubManager();
            Decoder d = lm.decoder();
            List<String> targets = new ArrayList<>(d.linears().keySet());
            targets.remove("lm_head");
            long stored = 0;
            for (String t : targets) {
                Linear l = d.linear(t);
                stored += l instanceof QuantizedLinear q ? q.quantized().storageBytes() : 4 * l.inFeatures() * l.outFeatures();
                d.replaceLinear(t, base -> new LowRank(base, adapters));
            }
            return new Side(lm, adapters, stored);
        }

        /** Seconds of one forward+backward of the causal-LM loss. */
        double step(long[] ids) {
            long t0 = System.nanoTime();
            try (NDManager s = lm.manager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray x = s.create(ids).reshape(1, ids.length);
                gc.backward(CausalLmLoss.mean(lm.decoder().forward(x), x));
            }
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            adapters.close();
            lm.close();
        }
    }

    private static double best(int repeats, java.util.function.Supplier<NDArray> run) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats + 2; i++) {
            long t0 = System.nanoTime();
            NDArray out = run.get();
            double t = (System.nanoTime() - t0) / 1e9;
            if (out != null) {
                out.close();
            }
            if (i >= 2) {
                best = Math.min(best, t);
            }
        }
        return best;
    }

    /** A minimal LoRA pair (r 16, scale 2), standing in for the lora package's layer. */
    private static final class LowRank implements Linear {
        private final Linear base;
        private final NDArray a;
        private final NDArray b;

        LowRank(Linear base, NDManager m) {
            this.base = base;
            this.a = m.randomNormal(0, 0.01f, new Shape(16, base.inFeatures()), DataType.FLOAT32);
            this.b = m.zeros(new Shape(base.outFeatures(), 16));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
        }

        public String path() {
            return base.path();
        }

        public NDArray weight() {
            return base.weight();
        }

        public NDArray bias() {
            return base.bias();
        }

        public long inFeatures() {
            return base.inFeatures();
        }

        public long outFeatures() {
            return base.outFeatures();
        }

        public NDArray forward(NDArray x) {
            NDArray down = ai.djl.nn.core.Linear.linear(x, a, null).singletonOrThrow();
            return base.forward(x).add(ai.djl.nn.core.Linear.linear(down, b, null).singletonOrThrow().mul(2f));
        }
    }
}
