package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers shared by the LoRA tests. */
final class LoraTesting {

    private LoraTesting() {}

    /** A copy of every base parameter, by name. */
    static Map<String, float[]> snapshot(CausalLm lm) {
        Map<String, float[]> out = new LinkedHashMap<>();
        lm.decoder().parameters().forEach((k, v) -> out.put(k, v.toType(DataType.FLOAT32, false).toFloatArray()));
        return out;
    }

    static double maxDiff(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (String k : a.keySet()) {
            worst = Math.max(worst, TestFiles.maxAbsDiff(a.get(k), b.get(k)));
        }
        return worst;
    }

    /** Both folders hold the same tensor names, shapes and (within tol) values. */
    static void assertSameWeights(Path expected, Path actual, double tol) {
        try (SafetensorsCheckpoint e = SafetensorsCheckpoint.open(expected);
                SafetensorsCheckpoint a = SafetensorsCheckpoint.open(actual);
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(e.keys(), a.keys(), "tensor names");
            for (String key : e.keys()) {
                double diff = TestFiles.maxAbsDiff(e.load(key, m), a.load(key, m));
                assertTrue(diff <= tol, key + ": max diff " + diff + " > " + tol);
            }
        }
    }

    /** Logits of the model for ids [rows][cols]. */
    static float[] logits(CausalLm lm, long[][] ids) {
        try (NDManager m = lm.manager().newSubManager()) {
            NDArray x = m.create(ids);
            return lm.decoder().forward(x).toFloatArray();
        }
    }
}
