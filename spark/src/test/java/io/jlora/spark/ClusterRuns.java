package io.jlora.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsFile;
import io.jlora.magics.LoraSession;
import io.jlora.magics.commands.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/** The one-shot run both sides of the cluster tests make, and how they read its adapter. */
final class ClusterRuns {

    static final Path MODEL = Path.of("../models/tiny-llama").toAbsolutePath().normalize();

    private ClusterRuns() {}

    /** 16 texts of 8 to 40 letters (so each member pads its rows differently). */
    static Path data(Path dir) throws IOException {
        Random r = new Random(5);
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < 16; k++) {
            StringBuilder sb = new StringBuilder();
            int start = r.nextInt(26);
            for (int i = 0, n = 8 + r.nextInt(33); i < n; i++) {
                sb.append((char) ('a' + (start + i) % 26));
            }
            lines.add("{\"text\": \"" + sb + "\"}");
        }
        Path file = dir.resolve("letters.jsonl");
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }

    /** train's words: 6 steps of a global batch of 4 with dropout, checkpoints every 2 steps, the adapter saved alone. */
    static List<String> train(Path data, Path output, int steps, String... more) {
        List<String> words = new ArrayList<>(List.of("train", "--model", MODEL.toString(), "--file", data.toString(),
                "--steps", Integer.toString(steps), "--batch-size", "4", "--lr", "2e-3", "--seed", "3", "--lora-r", "4",
                "--lora-dropout", "0.1", "--save-every", "2", "--merge-adapter", "false", "--output-folder", output.toString()));
        words.addAll(List.of(more));
        return words;
    }

    /** Runs the words in a fresh session of this JVM, as bin/jlora does. */
    static void run(List<String> words) throws Exception {
        try (LoraSession session = new LoraSession()) {
            new CommandRunner(session, "jlora", false).run(words);
        }
    }

    /** The adapter weights saved under {@code output} (outside its checkpoints). */
    static Map<String, float[]> adapter(Path output) throws IOException {
        Path file;
        try (Stream<Path> s = Files.walk(output)) {
            file = s.filter(p -> p.getFileName().toString().equals("adapter_model.safetensors"))
                    .filter(p -> !output.relativize(p).toString().contains("checkpoint"))
                    .findFirst().orElseThrow(() -> new IOException("no adapter_model.safetensors under " + output));
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            for (String key : f.keys()) {
                NDArray a = f.load(key, m, ai.djl.ndarray.types.DataType.FLOAT32);
                out.put(key, a.toFloatArray());
            }
        }
        return out;
    }

    /** The largest absolute difference between two adapters with the same keys. */
    static double maxDifference(Map<String, float[]> a, Map<String, float[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            throw new AssertionError("different adapter keys: " + a.keySet() + " vs " + b.keySet());
        }
        double worst = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
        }
        return worst;
    }
}
