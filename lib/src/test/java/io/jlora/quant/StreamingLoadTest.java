package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.model.CheckpointWeights;
import io.jlora.model.Decoder;
import io.jlora.model.ModelConfigReader;
import io.jlora.model.WeightSource;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Quantizing while loading holds one float projection weight at a time, never the float model. */
class StreamingLoadTest {

    private static final Path MODEL = TestFiles.golden("llama-tiny/model");

    @ParameterizedTest
    @EnumSource(value = Quantization.class, names = {"INT4", "INT8", "FLOAT16"})
    void eachFloatWeightIsClosedBeforeTheNextIsRead(Quantization q) {
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(MODEL);
                NDManager m = NDManager.newBaseManager()) {
            WeightSource files = new CheckpointWeights(checkpoint, m, DataType.FLOAT32);
            List<NDArray> projectionWeights = new ArrayList<>();
            int[] maxOpen = {0};
            WeightSource watched = new WeightSource() {
                @Override
                public boolean has(String name) {
                    return files.has(name);
                }

                @Override
                public NDArray get(String name, long... shape) {
                    NDArray a = files.get(name, shape);
                    if (name.startsWith("model.layers.") && name.endsWith("_proj.weight")) {
                        projectionWeights.add(a);
                        maxOpen[0] = Math.max(maxOpen[0], (int) projectionWeights.stream().filter(w -> !w.isReleased()).count());
                    }
                    return a;
                }
            };
            Decoder d = Decoder.build(ModelConfigReader.read(MODEL), watched, new QuantizingLinearFactory(q));
            assertEquals(2 * 7, projectionWeights.size());
            assertEquals(1, maxOpen[0], "float projection weights open at once");
            assertTrue(projectionWeights.stream().allMatch(NDArray::isReleased), "all float projection weights closed");
            assertTrue(d.parameters().keySet().stream().noneMatch(k -> k.endsWith("_proj.weight")),
                    "parameters() lists no converted projection weight");
        }
    }
}
