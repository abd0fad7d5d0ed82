package io.jlora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsFile;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The golden model re-saved as F16 and BF16 loads as float32 and still computes nearly the same logits. */
class CheckpointDtypesTest {

    @TempDir
    Path tmp;

    @Test
    void halfPrecisionCheckpointsLoadAsFloat32() throws IOException {
        Path golden = TestFiles.golden("llama-tiny/model");
        try (CausalLm reference = CausalLm.load(golden, "cpu", "auto");
                SafetensorsFile cases = SafetensorsFile.open(TestFiles.golden("llama-tiny/cases.safetensors"));
                NDManager m = reference.manager().newSubManager()) {
            NDArray ids = cases.load("input_ids", m);
            NDArray expected = reference.decoder().forward(ids);
            for (SafetensorsDtype dtype : new SafetensorsDtype[] {SafetensorsDtype.F16, SafetensorsDtype.BF16}) {
                Path dir = Files.createDirectories(tmp.resolve(dtype.name()));
                Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
                Map<String, TensorData> data = new LinkedHashMap<>();
                reference.decoder().parameters().forEach((k, v) -> data.put(k, TensorData.of(v, dtype)));
                SafetensorsWriter.write(dir.resolve("model.safetensors"), data, null);
                try (CausalLm lm = CausalLm.load(dir, "cpu", "auto")) {
                    assertEquals(DataType.FLOAT32, lm.decoder().dtype());
                    double diff = TestFiles.maxAbsDiff(expected, lm.decoder().forward(ids));
                    assertTrue(diff > 0 && diff < 0.05, dtype + ": rounding shows, but only a little: " + diff);
                }
            }
        }
    }
}
