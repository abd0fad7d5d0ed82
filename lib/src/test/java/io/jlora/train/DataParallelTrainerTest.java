package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.jlora.JloraException;
import io.jlora.data.Dataset;
import io.jlora.model.CausalLm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training (Trainer.distribute): two members, each with half of every micro-batch,
 * end with the weights one process reaches with the same global batch, seed and data order —
 * with dropout on, gradient accumulation, examples of different lengths (so each member pads
 * its rows differently) and a micro-batch split unevenly (3 rows over 2 members).
 */
class DataParallelTrainerTest {

    private static final TrainerConfig CONFIG = TrainerConfig.builder().steps(4).batchSize(3).gradientAccumulation(2)
            .lr(1e-2).seed(11).build();

    @Test
    void twoMembersEndWhereOneProcessEnds(@TempDir Path tmp) throws Exception {
        Path dir = TinyRuns.model(tmp.resolve("m"), 0.05);
        Dataset data = variedAlphabet(18, 5);
        Map<String, float[]> single = train(dir, data, null);

        ThreadGroupParallel group = new ThreadGroupParallel(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Map<String, float[]>>> members = new ArrayList<>();
            for (int rank = 0; rank < 2; rank++) {
                DataParallel member = group.member(rank);
                members.add(pool.submit(() -> train(dir, data, member)));
            }
            Map<String, float[]> first = members.get(0).get();
            Map<String, float[]> second = members.get(1).get();
            assertEquals(single.keySet(), first.keySet());
            double worst = 0;
            for (String name : single.keySet()) {
                assertArrayEquals(first.get(name), second.get(name), 0f, name + ": the members' weights differ");
                float[] a = single.get(name);
                float[] b = first.get(name);
                for (int i = 0; i < a.length; i++) {
                    worst = Math.max(worst, Math.abs(a[i] - b[i]));
                }
            }
            assertTrue(worst <= 1e-5, "two members differ from one process by " + worst);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aGroupLargerThanTheBatchIsRefused(@TempDir Path tmp) {
        Path dir = TinyRuns.model(tmp.resolve("m"), 0.05);
        try (CausalLm lm = TinyRuns.withAdapter(dir, 4, 0.1)) {
            Trainer trainer = Trainer.sft(LoraTraining.of(lm), TinyRuns.tokenized(lm, variedAlphabet(18, 5), 0), CONFIG);
            JloraException e = assertThrows(JloraException.class, () -> trainer.distribute(new ThreadGroupParallel(4).member(0)));
            assertTrue(e.getMessage().contains("batch size 3"), e.getMessage());
        }
    }

    private static Map<String, float[]> train(Path dir, Dataset data, DataParallel member) {
        try (CausalLm lm = TinyRuns.withAdapter(dir, 4, 0.1)) {
            Trainer trainer = Trainer.sft(LoraTraining.of(lm), TinyRuns.tokenized(lm, data, 0), CONFIG);
            if (member != null) {
                trainer.distribute(member);
            }
            trainer.train();
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : trainer.model().parameters().entrySet()) {
                out.put(e.getKey(), e.getValue().toFloatArray());
            }
            return out;
        }
    }

    /** Alphabet walks of 8 to 40 letters. */
    static Dataset variedAlphabet(int records, long seed) {
        return TinyRuns.alphabet(records, 8, 40, seed);
    }
}
