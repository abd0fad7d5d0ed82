package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.data.Example;
import io.jlora.io.DirectViews;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.model.Decoder;
import io.jlora.model.Linear;
import io.jlora.train.LoraTraining;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Benchmarks of the quant package (run by bench/quant/run.sh):
 * <ul>
 *   <li>{@code dequant ROWS COLS REPEATS}: GB/s of float32 output dequantizing one NF4 weight, plain
 *       Java path vs DJL-op path (and the nibble-splitting op variant), same run, same threads;
 *   <li>{@code step DIR SEQ REPEATS}: time of a training step (the Trainer's, LoRA r 16 on every
 *       projection, checkpointing on) on the model in DIR, float32 base vs int4 (QLoRA) base,
 *       interleaved, and their ratio.
 * </ul>
 */
public final class QuantBench {

    private QuantBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "dequant": dequant(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3])); break;
            case "step": step(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    args.length > 5 ? args[4] : "none", args.length > 5 ? args[5] : "int4"); break;
            default: throw new IllegalArgumentException("dequant ROWS COLS REPEATS | step DIR SEQ REPEATS [A B]");
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
            // the same into the reused tensor through heap chunks copied in (the path before raw stores,
            // and the one on JDK 24+)
            double viaHeap = best(repeats, () -> {
                FourBitDequantizer.dequantize(DirectViews.bytes(q.packed()), absmax, 0, FourBitType.NF4.code(), 64,
                        (long) rows * cols, DirectViews.floats(reused), false);
                return null;
            });
            System.out.printf("%-34s %8s %8s%n", "dequantize to float32", "ms", "GB/s");
            System.out.printf("%-34s %8.1f %8.2f%n", "java (256-entry pair table)", java * 1e3, gb / java);
            System.out.printf("%-34s %8.1f %8.2f%n", "djl ops (pair-table gather)", ops * 1e3, gb / ops);
            System.out.printf("%-34s %8.1f %8.2f%n", "djl ops (div/floor/mod nibbles)", nibbles * 1e3, gb / nibbles);
            System.out.printf("%-34s %8.1f %8.2f%n", "java, into a reused tensor" + (RawFloatStores.usable() ? " (raw)" : ""),
                    decodeOnly * 1e3, gb / decodeOnly);
            System.out.printf("%-34s %8.1f %8.2f%n", "java, reused tensor, heap chunks", viaHeap * 1e3, gb / viaHeap);
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
     * Both models loaded side by side, their training steps interleaved (LoRA, QLoRA, LoRA, ...): on
     * a shared machine a burst of load then hits both sides of a pair alike, so the median of the
     * per-pair ratios is steadier than a ratio of two separately measured bests (printed too).
     * Each step is the Trainer's own: LoRA r 16 on every projection (alpha 32, dropout 0.05),
     * gradient checkpointing on (the default), AdamW.
     */
    static void step(Path dir, int seq, int repeats, String plainQuantization, String quantizedQuantization) {
        // "none" loads the base as stored (float32 here)
        String plainBase = plainQuantization.equals("none") ? "float32" : plainQuantization;
        String quantizedBase = quantizedQuantization.equals("none") ? "float32" : quantizedQuantization;
        try (Side plain = Side.load(dir, plainQuantization, seq); Side qlora = Side.load(dir, quantizedQuantization, seq)) {
            plain.step();
            qlora.step(); // warm-up pair, not counted
            double[] ratios = new double[repeats];
            double bestPlain = Double.MAX_VALUE;
            double bestQlora = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                double p = plain.step();
                double q = qlora.step();
                ratios[i] = q / p;
                bestPlain = Math.min(bestPlain, p);
                bestQlora = Math.min(bestQlora, q);
                System.out.printf("  pair %d: %s base %.0f ms, %s base %.0f ms, ratio %.2fx%n", i + 1, plainBase,
                        p * 1e3, quantizedBase, q * 1e3, ratios[i]);
            }
            Arrays.sort(ratios);
            double median = repeats % 2 == 1 ? ratios[repeats / 2] : (ratios[repeats / 2 - 1] + ratios[repeats / 2]) / 2;
            System.out.printf("frozen projections: %s %.0f MB, %s %.0f MB%n", plainBase, plain.storedBytes() / 1e6,
                    quantizedBase, qlora.storedBytes() / 1e6);
            System.out.printf("Trainer step (LoRA r16 all-linear, checkpointing on), batch 1 x %d tokens, %d interleaved"
                    + " pairs: median ratio %.2fx (range %.2f-%.2fx); best %s base %.0f ms, best %s base %.0f ms,"
                    + " ratio of bests %.2fx%n", seq, repeats, median, ratios[0], ratios[repeats - 1], plainBase,
                    bestPlain * 1e3, quantizedBase, bestQlora * 1e3, bestQlora / bestPlain);
        }
    }

    /** One loaded model with a default LoRA adapter and its trainer. */
    private record Side(CausalLm lm, Trainer trainer, long storedBytes) implements AutoCloseable {

        static Side load(Path dir, String quantization, int seq) {
            CausalLm lm = QuantizedModels.load(dir, "cpu", "auto", quantization);
            Decoder d = lm.decoder();
            long stored = 0;
            for (String t : d.linears().keySet()) {
                if (t.equals("lm_head")) {
                    continue;
                }
                Linear l = d.linear(t);
                stored += l instanceof QuantizedLinear q ? q.quantized().storageBytes()
                        : l instanceof Float16Linear ? 2 * l.inFeatures() * l.outFeatures()
                        : 4 * l.inFeatures() * l.outFeatures();
            }
            Adapters.of(lm).add("default", LoraConfig.builder().r(16).loraAlpha(32).loraDropout(0.05)
                    .targetModules("all-linear").build(), 42);
            long[] ids = new long[seq];
            Arrays.setAll(ids, i -> (i * 7919L) % 32000);
            Trainer trainer = Trainer.sft(LoraTraining.of(lm), List.of(Example.of(ids)), List.of(),
                    TrainerConfig.builder().batchSize(1).shuffle(false).build());
            return new Side(lm, trainer, stored);
        }

        /** Seconds of one training step. */
        double step() {
            long t0 = System.nanoTime();
            trainer.step();
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            trainer.close();
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
}
