package io.jlora.spark;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --spark-master local[2] --workers 2}: two Spark barrier tasks, each with half of every
 * batch, write the adapter one process writes with the same options (same global batch, seed and
 * data order), within 1e-5.
 */
class LocalSparkTrainingTest {

    @Test
    void twoLocalWorkersWriteTheAdapterOneProcessWrites(@TempDir Path tmp) throws Exception {
        Path data = ClusterRuns.data(tmp);
        ClusterRuns.run(ClusterRuns.train(data, tmp.resolve("single"), 6));
        ClusterRuns.run(ClusterRuns.train(data, tmp.resolve("spark"), 6, "--spark-master", "local[2]", "--workers", "2"));
        Map<String, float[]> single = ClusterRuns.adapter(tmp.resolve("single"));
        double diff = ClusterRuns.maxDifference(single, ClusterRuns.adapter(tmp.resolve("spark")));
        assertTrue(diff <= 1e-5, "the 2-worker adapter differs from one process's by " + diff);
        // and the comparison can fail: a step less gives another adapter
        ClusterRuns.run(ClusterRuns.train(data, tmp.resolve("other"), 5));
        assertTrue(ClusterRuns.maxDifference(single, ClusterRuns.adapter(tmp.resolve("other"))) > 1e-3);
    }

    @Test
    void theClusterOptionsAreNotPassedToTheWorkers() {
        List<String> words = io.jlora.magics.commands.ClusterTraining.oneShotArgs(
                List.of("train", "--spark-master", "local[2]", "--workers=3", "--steps", "2"), "train");
        assertTrue(words.equals(List.of("--steps", "2")), words.toString());
    }
}
