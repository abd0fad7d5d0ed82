package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import io.jlora.model.Family;
import io.jlora.model.ModelConfigReader;
import io.jlora.model.RandomModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The streaming merge benchmark, driven by bench/lora/run.sh. Not a unit test (a 1B model needs
 * minutes and gigabytes).
 *
 * <pre>
 *   MergeBench model DIR DTYPE                 write a random Llama-3.2-1B-shaped model (F32 or BF16)
 *   MergeBench adapter BASE DIR R              write a random all-linear PEFT adapter of rank R for BASE
 *   MergeBench merge BASE ADAPTER OUT          merge, then print time, peak RSS and the model's size
 * </pre>
 */
public final class MergeBench {

    private MergeBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "model" -> model(Path.of(args[1]), SafetensorsDtype.valueOf(args[2]));
            case "adapter" -> adapter(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
            case "merge" -> merge(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
            default -> throw new IllegalArgumentException("model | adapter | merge");
        }
    }

    private static void model(Path dir, SafetensorsDtype dtype) {
        long t0 = System.nanoTime();
        // Llama-3.2-1B: hidden 2048, 16 layers, 32 heads, 8 KV heads, MLP 8192, vocab 128256, tied
        RandomModels.write(dir, RandomModels.Spec.of(Family.LLAMA, 2048, 16, 32, 8, 8192, 128256, 42)
                .withDtype(dtype).withTied(true).withShardBytes(1L << 30));
        System.out.printf("wrote %s: %.2fB parameters, %s, in %.0f s%n", dir,
                ModelConfigReader.read(dir).parameterCount() / 1e9, dtype, (System.nanoTime() - t0) / 1e9);
    }

    private static void adapter(Path base, Path dir, int r) {
        LoraConfig config = LoraConfig.builder().r(r).loraAlpha(2 * r).init(LoraInit.RANDOM)
                .baseModelNameOrPath(base.toString()).build();
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(base); NDManager m = NDManager.newBaseManager()) {
            Map<String, long[]> linears = MergeTool.linearShapes(checkpoint);
            List<String> targets = TargetMatcher.resolve(config, linears.keySet());
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            for (String path : targets) {
                long[] shape = linears.get(path);
                NDArray a = m.randomUniform(-0.01f, 0.01f, new Shape(r, shape[1]));
                NDArray b = m.randomUniform(-0.01f, 0.01f, new Shape(shape[0], r));
                tensors.put(AdapterCheckpoint.key(path, LoraBranch.A_KEY), TensorData.of(a));
                tensors.put(AdapterCheckpoint.key(path, LoraBranch.B_KEY), TensorData.of(b));
            }
            SafetensorsWriter.write(dir.resolve(AdapterCheckpoint.WEIGHTS_FILE), tensors, Map.of("format", "pt"));
            AdapterConfigJson.write(dir, AdapterConfigJson.toJson(config, targets));
            System.out.printf("wrote %s: r=%d on %d modules%n", dir, r, targets.size());
        }
    }

    private static void merge(Path base, Path adapter, Path out) throws IOException {
        MergeResult r = MergeTool.merge(base, adapter, out, MergeOptions.defaults().withOverwrite(true));
        long modelBytes = safetensorsBytes(base);
        long peak = peakRssBytes();
        double cpu = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        System.out.printf("merge: %.1f s wall (process CPU %.1f s, JVM start included), %d files, peak RSS %.2f GB, "
                + "model %.2f GB on disk: %.2fx the model%n", r.seconds(), cpu, r.files().size(), peak / 1e9,
                modelBytes / 1e9, (double) peak / modelBytes);
        System.out.printf("RESULT merge_seconds=%.2f cpu_seconds=%.2f peak_rss_bytes=%d model_bytes=%d%n", r.seconds(),
                cpu, peak, modelBytes);
    }

    private static long safetensorsBytes(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.toString().endsWith(".safetensors")).forEach(files::add);
        }
        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
        }
        return total;
    }

    /** VmHWM: the process's peak resident set, Java heap and native (libtorch) memory alike. */
    private static long peakRssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
