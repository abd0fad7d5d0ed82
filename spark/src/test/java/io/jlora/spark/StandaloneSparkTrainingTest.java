package io.jlora.spark;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real standalone cluster on loopback (a master and two workers, each its own JVM): the two-worker
 * adapter equals one process's; and with one executor JVM killed (SIGKILL) after the first
 * checkpoints, Spark retries the stage, the members resume from the latest checkpoint, and the
 * adapter still equals the uninterrupted run's.
 */
class StandaloneSparkTrainingTest {

    private static final int STEPS = 16;

    @Test
    void aClusterTrainsAsOneProcessAndSurvivesAKilledWorker(@TempDir Path tmp) throws Exception {
        Path data = ClusterRuns.data(tmp);
        ClusterRuns.run(ClusterRuns.train(data, tmp.resolve("single"), STEPS));
        Map<String, float[]> single = ClusterRuns.adapter(tmp.resolve("single"));
        // the driver (this JVM) on loopback too, as the master and workers are
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");
        try (StandaloneCluster cluster = new StandaloneCluster(tmp.resolve("cluster"), 2)) {
            ClusterRuns.run(ClusterRuns.train(data, tmp.resolve("spark"), STEPS, "--spark-master", cluster.master, "--workers", "2"));
            double clean = ClusterRuns.maxDifference(single, ClusterRuns.adapter(tmp.resolve("spark")));
            assertTrue(clean <= 1e-5, "the cluster's adapter differs from one process's by " + clean);

            Path output = tmp.resolve("killed");
            ExecutorService driver = Executors.newSingleThreadExecutor();
            try {
                Future<?> run = driver.submit(() -> {
                    ClusterRuns.run(ClusterRuns.train(data, output, STEPS, "--spark-master", cluster.master, "--workers", "2"));
                    return null;
                });
                long deadline = System.currentTimeMillis() + 300_000;
                while (!hasCheckpoint(output) && !run.isDone() && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(hasCheckpoint(output), "no checkpoint appeared before the run ended");
                assertTrue(cluster.killOneExecutor(), "no executor JVM to kill");
                run.get(600, TimeUnit.SECONDS);
            } finally {
                driver.shutdownNow();
            }
            double resumed = ClusterRuns.maxDifference(single, ClusterRuns.adapter(output));
            assertTrue(resumed <= 1e-5, "the adapter after a killed worker differs from the uninterrupted run's by " + resumed);
        }
    }

    private static boolean hasCheckpoint(Path output) throws Exception {
        if (!Files.isDirectory(output)) {
            return false;
        }
        try (Stream<Path> s = Files.walk(output)) {
            return s.anyMatch(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.isDirectory(p));
        }
    }
}
