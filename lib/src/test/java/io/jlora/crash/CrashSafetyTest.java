package io.jlora.crash;

import static io.jlora.io.CrashTestPoints.BEFORE_CLEANUP;
import static io.jlora.io.CrashTestPoints.BEFORE_MANIFEST;
import static io.jlora.io.CrashTestPoints.BEFORE_SWAP;
import static io.jlora.io.CrashTestPoints.MID_SWAP;
import static io.jlora.io.CrashTestPoints.SAFETENSORS_HEADER;
import static io.jlora.io.CrashTestPoints.SAFETENSORS_RENAMED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jlora.io.CrashTestPoints;
import io.jlora.io.FolderCommit;
import io.jlora.io.FolderManifest;
import io.jlora.lora.Adapters;
import io.jlora.model.CausalLm;
import io.jlora.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) a child JVM in the middle of {@code save} (merged and adapter-only), {@code merge}
 * and a training run writing checkpoints, at named points of the writers ({@link CrashTestPoints}),
 * and checks that every output folder then holds the old complete set of files or the new complete
 * set, never a mix or a part: its checksum manifest verifies (SHA-256), lists exactly the old or the
 * new files (which one, each point decides), and the folder loads (model, adapter, resume). Then
 * the next writer's recovery leaves the folder under its own name with no leftovers beside it.
 */
class CrashSafetyTest {

    @TempDir
    Path work;

    /** One kill: the operation, where it stops, and per output folder whether it must then read as new. */
    private record Scenario(String op, String point, Map<String, Boolean> expectNew) {}

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("save-merged", SAFETENSORS_HEADER, Map.of("save-merged", false)),
            new Scenario("save-merged", BEFORE_MANIFEST, Map.of("save-merged", false)),
            new Scenario("save-merged", MID_SWAP, Map.of("save-merged", true)),
            new Scenario("save-merged", BEFORE_CLEANUP, Map.of("save-merged", true)),
            new Scenario("save-adapter", SAFETENSORS_RENAMED, Map.of("save-adapter", false)),
            new Scenario("save-adapter", BEFORE_SWAP, Map.of("save-adapter", false)),
            new Scenario("save-adapter", MID_SWAP, Map.of("save-adapter", true)),
            new Scenario("merge", SAFETENSORS_HEADER, Map.of("merge", false)),
            new Scenario("merge", BEFORE_SWAP, Map.of("merge", false)),
            new Scenario("merge", MID_SWAP, Map.of("merge", true)),
            // checkpoint-2 writes 3 safetensors files (trainable, optimizer, adapter); the 4th is checkpoint-4's first
            new Scenario("train", SAFETENSORS_RENAMED + "#4", Map.of("train/checkpoint-2", true, "train/checkpoint-4", false)),
            new Scenario("train", BEFORE_SWAP + "#1", Map.of("train/checkpoint-2", false, "train/checkpoint-4", false)),
            new Scenario("train", MID_SWAP + "#2", Map.of("train/checkpoint-2", true, "train/checkpoint-4", true)),
            new Scenario("train", BEFORE_CLEANUP + "#2", Map.of("train/checkpoint-2", true, "train/checkpoint-4", true)));

    private static final List<String> FOLDERS = List.of("save-merged", "save-adapter", "merge", "train/checkpoint-2",
            "train/checkpoint-4");

    @Test
    void aKilledWriteLeavesTheOldOrTheNewCompleteSet() throws Exception {
        long start = System.nanoTime();
        CrashRuns.writeModel(work);
        for (long seed = 1; seed <= 2; seed++) {
            try (CausalLm lm = CrashRuns.withAdapter(work, seed)) {
                Adapters.of(lm).save("default", work.resolve("adapter-" + seed));
            }
        }
        Path run = work.resolve("run");
        Path old = work.resolve("old");
        child("all", 1, null);
        Files.move(run, old);
        Map<String, Map<String, FolderManifest.Entry>> oldSets = manifests(old);
        copyTree(old, run);
        child("all", 2, null);
        Map<String, Map<String, FolderManifest.Entry>> newSets = manifests(run);
        FolderCommit.deleteTree(run);
        for (String f : FOLDERS) {
            assertNotEquals(oldSets.get(f), newSets.get(f), f + ": the old and new outputs must differ for the test to tell");
        }

        try (CausalLm checker = CrashRuns.withAdapter(work, 1)) {
            for (Scenario s : SCENARIOS) {
                copyTree(old, run);
                child(s.op(), 2, s.point());
                Map<String, Map<String, FolderManifest.Entry>> seenSets = new LinkedHashMap<>();
                for (Map.Entry<String, Boolean> e : s.expectNew().entrySet()) {
                    String f = e.getKey();
                    String where = s.op() + " killed at " + s.point() + ": " + f;
                    Path readable = FolderCommit.readable(run.resolve(f));
                    Map<String, FolderManifest.Entry> seen = checkComplete(readable, where);
                    assertEquals(e.getValue() ? newSets.get(f) : oldSets.get(f), seen,
                            where + " should hold the " + (e.getValue() ? "new" : "old") + " set");
                    loads(checker, s.op(), run.resolve(f), where);
                    seenSets.put(f, seen);
                }
                // what the next writer of each folder does first
                for (String f : s.expectNew().keySet()) {
                    FolderCommit.recover(run.resolve(f));
                    String where = s.op() + " killed at " + s.point() + ", then recovered: " + f;
                    assertEquals(seenSets.get(f), checkComplete(run.resolve(f), where), where);
                }
                for (String f : s.expectNew().keySet()) {
                    assertNoLeftovers(run.resolve(f).getParent(), s.op() + " killed at " + s.point() + ", then recovered");
                }
                FolderCommit.deleteTree(run);
            }
        }
        System.out.printf("crash safety: %d kills checked in %.1f s%n", SCENARIOS.size(), (System.nanoTime() - start) / 1e9);
    }

    @Test
    void aDamagedFileIsRefusedByName() throws Exception {
        CrashRuns.writeModel(work);
        Path adapter = work.resolve("adapter");
        try (CausalLm lm = CrashRuns.withAdapter(work, 1)) {
            Adapters.of(lm).save("default", adapter);
            Path weights = adapter.resolve("adapter_model.safetensors");
            byte[] bytes = Files.readAllBytes(weights);
            bytes[bytes.length - 1] ^= 1; // same size, other content: only the hash tells
            Files.write(weights, bytes);
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(io.jlora.JloraException.class,
                    () -> Adapters.of(lm).load(adapter, "damaged"));
            assertTrue(e.getMessage().contains("adapter_model.safetensors") && e.getMessage().contains("SHA-256"),
                    e.getMessage());
            Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 8));
            e = org.junit.jupiter.api.Assertions.assertThrows(io.jlora.JloraException.class,
                    () -> Adapters.of(lm).load(adapter, "truncated"));
            assertTrue(e.getMessage().contains("adapter_model.safetensors") && e.getMessage().contains("bytes"),
                    e.getMessage());
            // a folder without a manifest (Hugging Face's) still loads
            Files.delete(adapter.resolve(FolderManifest.FILE));
            Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length));
            bytes[bytes.length - 1] ^= 1;
            Files.write(weights, bytes);
            Adapters.of(lm).load(adapter, "unchecked");
        }
        // a model folder: its size is checked at every load
        Path model = CrashRuns.model(work);
        FolderManifest.compute(model).write(model);
        Files.writeString(model.resolve("config.json"), Files.readString(model.resolve("config.json")) + " ");
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(io.jlora.JloraException.class,
                () -> CausalLm.load(model, "cpu", "float32"));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    /** Runs the child; with a pause point, kills it with SIGKILL once it has paused there. */
    private void child(String op, long seed, String pause) throws Exception {
        Path signal = work.resolve("paused");
        Files.deleteIfExists(signal);
        Path log = work.resolve("child.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Xss4m", "-Xmx512m",
                // a short run: the quick JIT tier starts it sooner
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        if (pause != null) {
            cmd.add("-D" + CrashTestPoints.PAUSE_PROPERTY + "=" + pause);
            cmd.add("-D" + CrashTestPoints.SIGNAL_PROPERTY + "=" + signal);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashRuns.class.getName(), op,
                Long.toString(seed), work.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        try {
            if (pause == null) {
                boolean ended = p.waitFor(180, TimeUnit.SECONDS);
                assertTrue(ended && p.exitValue() == 0, op + " failed: " + Files.readString(log));
                return;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(signal)) {
                if (!p.isAlive()) {
                    fail(op + " ended (" + p.exitValue() + ") without pausing at " + pause + ": " + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    fail(op + " did not reach " + pause + " in 120 s: " + Files.readString(log));
                }
                Thread.sleep(20);
            }
            Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor(), "kill -KILL " + p.pid());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the killed child did not end");
            assertEquals(128 + 9, p.exitValue(), "the child should have died of SIGKILL");
        } finally {
            p.destroyForcibly();
        }
    }

    /** The folder's manifest verifies with hashes and lists every file the folder holds. */
    private static Map<String, FolderManifest.Entry> checkComplete(Path dir, String where) throws IOException {
        assertTrue(Files.isDirectory(dir), where + ": no folder to read (" + dir + ")");
        Optional<FolderManifest> m = FolderManifest.read(dir);
        assertTrue(m.isPresent(), where + ": no " + FolderManifest.FILE + " in " + dir);
        assertTrue(FolderManifest.verify(dir, FolderManifest.Check.SHA256), where);
        try (Stream<Path> s = Files.walk(dir)) {
            List<String> present = s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .filter(n -> !n.equals(FolderManifest.FILE)).sorted().toList();
            assertEquals(m.get().files().keySet().stream().sorted().toList(), present, where + ": files beside the manifest's");
        }
        return m.get().files();
    }

    /** Reads the folder back the way users do. */
    private void loads(CausalLm checker, String op, Path folder, String where) {
        switch (op) {
            case "save-merged", "merge" -> {
                try (CausalLm lm = CausalLm.load(folder, "cpu", "float32")) {
                    assertEquals(2, lm.config().layers(), where);
                }
            }
            case "save-adapter" -> {
                Adapters.of(checker).load(folder, "check");
                Adapters.of(checker).delete("check");
            }
            case "train" -> {
                try (Trainer t = CrashRuns.trainer(checker, 1, work.resolve("unused"))) {
                    t.resume(folder);
                    assertEquals(Long.parseLong(folder.getFileName().toString().substring("checkpoint-".length())),
                            t.currentStep(), where);
                }
            }
            default -> fail(op);
        }
    }

    private static void assertNoLeftovers(Path dir, String where) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> hidden = s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertTrue(hidden.isEmpty(), where + ": left behind " + hidden);
        }
    }

    private static Map<String, Map<String, FolderManifest.Entry>> manifests(Path run) {
        Map<String, Map<String, FolderManifest.Entry>> out = new LinkedHashMap<>();
        for (String f : FOLDERS) {
            out.put(f, FolderManifest.read(run.resolve(f)).orElseThrow(() -> new AssertionError("no manifest in " + f))
                    .files());
        }
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
