package io.jlora.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import io.jlora.model.CausalLm;
import io.jlora.model.Family;
import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import io.jlora.model.ModelConfigReader;
import io.jlora.model.RandomModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Benchmarks of the model layer, driven by bench/model/run.sh (which also runs the PyTorch eager
 * reference beside it). Not a unit test: the 1B part needs ~6 GB and a minute.
 *
 * <pre>
 *   ModelBench write DIR FAMILY HIDDEN LAYERS HEADS KV INTERMEDIATE VOCAB DTYPE [tied]  write a random model
 *   ModelBench speed DIR SEQ NEW_TOKENS REPEATS OUT.safetensors                    forward and generation speed
 *   ModelBench load DIR                                                            peak RSS while loading
 * </pre>
 */
public final class ModelBench {

    private ModelBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write" -> write(args);
            case "speed" -> speed(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), Path.of(args[5]));
            case "load" -> load(Path.of(args[1]));
            default -> throw new IllegalArgumentException("write | speed | load");
        }
    }

    private static void write(String[] a) {
        Path dir = Path.of(a[1]);
        RandomModels.Spec spec = RandomModels.Spec.of(Family.valueOf(a[2].toUpperCase()), Integer.parseInt(a[3]),
                Integer.parseInt(a[4]), Integer.parseInt(a[5]), Integer.parseInt(a[6]), Integer.parseInt(a[7]),
                Integer.parseInt(a[8]), 42).withDtype(SafetensorsDtype.valueOf(a[9]))
                .withTied(a.length > 10 && a[10].equals("tied"));
        long t0 = System.nanoTime();
        RandomModels.write(dir, spec);
        System.out.printf("wrote %s: %.0fM parameters, %s, in %.1f s%n", dir,
                ModelConfigReader.read(dir).parameterCount() / 1e6, a[9], (System.nanoTime() - t0) / 1e9);
    }

    private static void speed(Path dir, int seq, int newTokens, int repeats, Path out) throws IOException {
        try (CausalLm lm = CausalLm.load(dir, "cpu", "auto")) {
            System.out.printf("jlora: DJL %s, %s intra-op threads, %.0fM parameters%n", Engine.getInstance().getVersion(),
                    System.getProperty("ai.djl.pytorch.num_threads", "default"), lm.config().parameterCount() / 1e6);
            long[] ids = new SplittableRandom(1).longs(seq, 0, lm.config().vocabSize()).toArray();
            double[] forward = new double[repeats];
            for (int r = -1; r < repeats; r++) { // r = -1 warms up
                try (NDManager m = lm.manager().newSubManager()) {
                    NDArray input = m.create(ids).reshape(1, seq);
                    long t0 = System.nanoTime();
                    NDArray logits = lm.decoder().forward(input);
                    logits.getFloat(0, 0, 0); // forces the computation to finish
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (r >= 0) {
                        forward[r] = s;
                    } else {
                        SafetensorsWriter.write(out, Map.of("input_ids", TensorData.of(input),
                                "logits", TensorData.of(logits)), null);
                    }
                }
            }
            double fwd = median(forward);
            System.out.printf("jlora forward [1,%d]: %.3f s median of %d, %.0f tokens/s%n", seq, fwd, repeats, seq / fwd);
            long[] prompt = Arrays.copyOf(ids, 16);
            double[] gen = new double[repeats];
            GenerationConfig greedy = GenerationConfig.greedy(newTokens).withStopAtEos(false);
            lm.generate(prompt, GenerationConfig.greedy(4).withStopAtEos(false));
            long[] generated = null;
            for (int r = 0; r < repeats; r++) {
                GenerationResult g = lm.generate(prompt, greedy);
                gen[r] = g.tokensPerSecond();
                generated = g.ids();
            }
            System.out.printf("jlora generate %d new tokens after a 16-token prompt, KV cache, greedy: %.1f tokens/s median%n",
                    newTokens, median(gen));
            System.out.println("jlora greedy ids: " + Arrays.toString(generated));
        }
    }

    private static void load(Path dir) throws IOException {
        long rssBefore = procStatus("VmRSS");
        long t0 = System.nanoTime();
        try (CausalLm lm = CausalLm.load(dir, "cpu", "auto")) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            long params = lm.config().parameterCount();
            double f32 = params * 4.0;
            long peak = procStatus("VmHWM");
            long after = procStatus("VmRSS");
            System.out.printf("load %s: %.2fB parameters, %.2f GB on disk, %.2f GB as float32, loaded in %.1f s%n", dir,
                    params / 1e9, dirBytes(dir) / 1e9, f32 / 1e9, seconds);
            System.out.printf("RSS before load %.2f GB, after %.2f GB, peak %.2f GB: peak / float32 size = %.2f (goal < 1.3)%n",
                    rssBefore / 1e9, after / 1e9, peak / 1e9, peak / f32);
        }
    }

    private static long dirBytes(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** A /proc/self/status field in bytes (VmHWM: peak resident set, VmRSS: current). */
    private static long procStatus(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
