package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import io.jlora.train.LoraTraining;
import io.jlora.train.MemoryStats;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Attaching LoRA to a quantized model adds the adapters' arrays and nothing else: no float copy of
 * a quantized weight may be made and kept (a 1B model once grew by 15 GB here, because the
 * adapter layer's sizes were read from a dequantized copy of its base weight).
 */
class QuantizedAttachTest {

    private static final Path MODEL = TestFiles.golden("llama-tiny").resolve("model");

    @Test
    void attachingAddsOnlyTheAdapters() {
        try (CausalLm lm = QuantizedModels.load(MODEL, "cpu", "auto", "int4")) {
            long before = MemoryStats.tensorBytes(lm.manager());
            Adapters.of(lm).add("default", LoraConfig.builder().r(8).targetModules("all-linear").build(), 1);
            long adapters = 4 * LoraTraining.of(lm).parameters().values().stream().mapToLong(a -> a.size()).sum();
            long added = MemoryStats.tensorBytes(lm.manager()) - before;
            assertTrue(adapters > 0, "adapters attached");
            assertTrue(added <= adapters + 4096, "attach added " + added + " B for " + adapters + " B of adapters");
        }
    }
}
