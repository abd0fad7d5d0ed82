package io.jlora.bench;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.model.generate.GenerationConfig;
import io.jlora.train.LoraTraining;
import io.jlora.train.MemoryStats;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak benchmark, driven by bench/soak/run.sh: the quickstart's training (models/tiny-llama,
 * LoRA r 16 on every linear layer and lm_head, the facts data, batch 4, 64 tokens) for STEPS
 * steps, that is many short epochs, with an evaluation, a checkpoint save (keeping 2) and a
 * generate call every EVERY steps. After each EVERY steps (after two GCs) it samples: heap used,
 * the NDArrays every DJL manager of the process holds (count and bytes) and the RSS; it prints
 * them as a table, then a least-squares slope of each per 1000 steps over the samples after the
 * first fifth (warm-up: allocator pools and JIT fill then), and PASS or FAIL against:
 * open arrays 0, array bytes 0, heap 2 MiB and RSS 16 MiB per 1000 steps (see the README).
 *
 * <pre>
 *   SoakBench MODEL_DIR DATA_FILE WORK_DIR STEPS EVERY
 * </pre>
 */
public final class SoakBench {

    /** Growth allowed per 1000 steps; arrays must not grow at all. */
    static final double MAX_ARRAYS = 0.5;
    static final double MAX_ARRAY_MIB = 0.01;
    static final double MAX_HEAP_MIB = 2;
    static final double MAX_RSS_MIB = 16;

    /** One sample; committed heap, direct buffers and the JVM's non-heap pools tell apart what RSS holds. */
    private record Sample(long step, double heapMib, long arrays, double arrayMib, double rssMib, double committedMib,
            double directMib, double nonHeapMib, double seconds) {}

    private SoakBench() {}

    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args[0]);
        Path dataFile = Path.of(args[1]);
        Path work = Path.of(args[2]);
        long steps = Long.parseLong(args[3]);
        long every = Long.parseLong(args[4]);
        long start = System.nanoTime();
        List<Sample> samples = new ArrayList<>();
        try (CausalLm lm = CausalLm.load(modelDir, "cpu", "float32")) {
            Adapters.of(lm).add("default", LoraConfig.builder().r(16).loraAlpha(32).loraDropout(0)
                    .targetModules("q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj,lm_head").build(), 42);
            TokenizedData<Example> data = Dataset.load(dataFile).tokenize(lm.tokenizer(),
                    TokenizeOptions.defaults().withMaxSeqLength(64).withEvalSplit(0.1));
            Path out = Files.createDirectories(work.resolve("checkpoints"));
            TrainerConfig config = TrainerConfig.builder().steps(steps).batchSize(4).lr(1e-2).seed(42)
                    .saveTotalLimit(2).outputDir(out).build();
            long[] prompt = lm.tokenizer().encode("LoRA adds");
            int epochSteps = (data.train().size() + 3) / 4;
            System.out.printf("soak: %d steps (%d train examples, %d steps an epoch: %.0f epochs), every %d steps an "
                    + "eval + checkpoint + generate + sample%n", steps, data.train().size(), epochSteps,
                    (double) steps / epochSteps, every);
            System.out.printf("%8s %10s %10s %12s %10s %14s %11s %13s %8s%n", "step", "heap MiB", "NDArrays", "array MiB",
                    "RSS MiB", "heap commit", "direct MiB", "JVM non-heap", "s");
            try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), data, config)) {
                samples.add(sample(lm, 0, start));
                print(samples.get(0));
                while (trainer.currentStep() < steps) {
                    trainer.train(Math.min(every, steps - trainer.currentStep()));
                    trainer.evaluate();
                    trainer.saveCheckpoint();
                    lm.generate(prompt, GenerationConfig.greedy(16));
                    Sample s = sample(lm, trainer.currentStep(), start);
                    samples.add(s);
                    print(s);
                }
            }
        }
        report(samples);
    }

    private static Sample sample(CausalLm lm, long step, long start) {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        double heap = (rt.totalMemory() - rt.freeMemory()) / 1048576.0;
        // the process-wide root: every base manager (the model's, the trainer's, scratch) is its child
        NDManager root = lm.manager().getParentManager();
        long count = 0;
        long bytes = 0;
        if (root instanceof BaseNDManager base) {
            for (NDArray a : base.getManagedArrays()) {
                try {
                    bytes += a.size() * a.getDataType().getNumOfBytes();
                    count++;
                } catch (RuntimeException e) {
                    // closed meanwhile
                }
            }
        }
        double direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            direct += pool.getMemoryUsed() / 1048576.0;
        }
        double nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getCommitted() / 1048576.0;
        return new Sample(step, heap, count, bytes / 1048576.0, MemoryStats.rssBytes() / 1048576.0,
                rt.totalMemory() / 1048576.0, direct, nonHeap, (System.nanoTime() - start) / 1e9);
    }

    private static void print(Sample s) {
        System.out.printf("%8d %10.2f %10d %12.4f %10.1f %14.1f %11.2f %13.1f %8.1f%n", s.step(), s.heapMib(), s.arrays(),
                s.arrayMib(), s.rssMib(), s.committedMib(), s.directMib(), s.nonHeapMib(), s.seconds());
    }

    private static void report(List<Sample> all) {
        List<Sample> fit = all.subList(Math.max(1, all.size() / 5), all.size());
        double arrays = slope(fit, s -> s.arrays());
        double arrayMib = slope(fit, Sample::arrayMib);
        double heap = slope(fit, Sample::heapMib);
        double rss = slope(fit, Sample::rssMib);
        // RSS less what the JVM itself commits: libtorch's and the other native allocations
        double nativeRss = slope(fit, s -> s.rssMib() - s.committedMib() - s.directMib() - s.nonHeapMib());
        System.out.printf("slope per 1000 steps over steps %d-%d (%d samples): NDArrays %+.2f (max %.1f), array MiB %+.4f "
                + "(max %.2f), heap MiB %+.3f (max %.0f), RSS MiB %+.2f (max %.0f)%n", fit.get(0).step(),
                fit.get(fit.size() - 1).step(), fit.size(), arrays, MAX_ARRAYS, arrayMib, MAX_ARRAY_MIB, heap, MAX_HEAP_MIB,
                rss, MAX_RSS_MIB);
        System.out.printf("  (for reading, no threshold) RSS less the JVM's committed heap, direct buffers and non-heap pools: "
                + "%+.2f MiB per 1000 steps%n", nativeRss);
        boolean pass = arrays <= MAX_ARRAYS && arrayMib <= MAX_ARRAY_MIB && heap <= MAX_HEAP_MIB && rss <= MAX_RSS_MIB;
        Sample last = all.get(all.size() - 1);
        System.out.printf("soak-result steps=%d seconds=%.0f arrays_slope=%.2f array_mib_slope=%.4f heap_mib_slope=%.3f "
                + "rss_mib_slope=%.2f %s%n", last.step(), last.seconds(), arrays, arrayMib, heap, rss, pass ? "PASS" : "FAIL");
        if (!pass) {
            System.exit(1);
        }
    }

    /** Least-squares slope of y over step, per 1000 steps. */
    private static double slope(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> y) {
        double n = samples.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (Sample s : samples) {
            double x = s.step();
            double v = y.applyAsDouble(s);
            sx += x;
            sy += v;
            sxx += x * x;
            sxy += x * v;
        }
        double denominator = n * sxx - sx * sx;
        return denominator == 0 ? 0 : (n * sxy - sx * sy) / denominator * 1000;
    }
}
