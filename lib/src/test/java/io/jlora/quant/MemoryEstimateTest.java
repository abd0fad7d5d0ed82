package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.JloraException;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryEstimateTest {

    /** Llama-2-7B: hidden 4096, MLP 11008, 32 layers, vocab 32000, 32 heads, untied. */
    private static final ModelShape LLAMA_7B = new ModelShape(4096, 11008, 32, 32000, 32, 32, 0, false);

    @Test
    void llama7bLandsWhereTheUsualTablesPutIt() {
        MemoryEstimate e = MemoryEstimate.of(LLAMA_7B, 16, 1, 512);
        assertEquals(6.74e9, e.parameters(), 0.01e9);
        // r 16 on all seven projections: 40M adapter parameters
        assertEquals(40.0e6, e.loraParameters(), 0.1e6);
        assertTrue(e.fullGb() > 100 && e.fullGb() < 105, "full " + e.fullGb());
        assertTrue(e.loraGb() > 13 && e.loraGb() < 16, "lora " + e.loraGb());
        assertTrue(e.lora4bitGb() > 4.5 && e.lora4bitGb() < 7, "lora 4-bit " + e.lora4bitGb());
        assertTrue(e.activationsGb() > 0.5 && e.activationsGb() < 2, "activations " + e.activationsGb());
        assertTrue(e.lora4bitGb() < e.lora8bitGb() && e.lora8bitGb() < e.loraGb(), "8-bit " + e.lora8bitGb());
    }

    @Test
    void longerSequencesAndLargerRanksCostMore() {
        MemoryEstimate base = MemoryEstimate.of(LLAMA_7B, 16, 1, 512);
        assertTrue(MemoryEstimate.of(LLAMA_7B, 16, 1, 2048).lora4bitGb() > base.lora4bitGb());
        assertTrue(MemoryEstimate.of(LLAMA_7B, 64, 1, 512).loraGb() > base.loraGb());
        // more tokens: more activations, though fewer kept outputs once all of them pass the auto budget
        assertTrue(MemoryEstimate.of(LLAMA_7B, 16, 4, 512).activationsGb() > base.activationsGb());
        assertTrue(MemoryEstimate.of(LLAMA_7B, 16, 16, 512).activationsGb() > 3 * MemoryEstimate.of(LLAMA_7B, 16, 4, 512)
                .activationsGb());
    }

    @Test
    void countsTheGoldenModelsParametersExactly() {
        try (CausalLm lm = CausalLm.load(TestFiles.golden("llama-tiny/model"), "cpu", "auto")) {
            long real = lm.decoder().parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
            MemoryEstimate e = MemoryEstimate.of(TestFiles.golden("llama-tiny/model"));
            assertEquals(real, e.parameters());
            assertEquals(lm.config().parameterCount(), e.parameters());
        }
    }

    /**
     * The families of issue 17: the config's parameter count is exact, the estimate's within 1% (it
     * leaves out q/k norms and biases), and its LoRA count is that of an r 16 all-linear adapter,
     * Phi-3's fused qkv_proj and gate_up_proj counted as the single targets they are.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "gemma3-mm-tiny", "phi3-tiny",
        "olmo2-tiny", "smollm3-tiny"})
    void countsTheNewFamiliesShapes(String name) {
        java.nio.file.Path dir = TestFiles.reference(name).resolve("model");
        try (CausalLm lm = CausalLm.load(dir, "cpu", "auto")) {
            long real = lm.decoder().parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
            assertEquals(real, lm.config().parameterCount(), name);
            MemoryEstimate e = MemoryEstimate.of(dir, 16, 1, 512);
            assertEquals(real, e.parameters(), real * 0.01, name);
            io.jlora.lora.Adapters.of(lm).add("a", io.jlora.lora.LoraConfig.builder().r(16).targetModules("all-linear")
                    .build(), 1);
            long lora = io.jlora.lora.Adapters.of(lm).parameters("a").values().stream()
                    .mapToLong(a -> a.getShape().size()).sum();
            assertEquals(lora, e.loraParameters(), name);
        }
    }

    /**
     * The outputs a frozen base keeps for the recomputation count (auto: all at 1B and 512 tokens, 736
     * MiB; the attention block's at 1024 tokens, 320 MiB): the estimate grows by them.
     */
    @Test
    void keptOutputsCountInTheActivations() {
        ModelShape llama1b = new ModelShape(2048, 8192, 16, 128256, 32, 8, 64, true);
        assertEquals(23552, MemoryEstimate.keptPerToken(llama1b, 512));
        assertEquals(5120, MemoryEstimate.keptPerToken(llama1b, 1024));
        assertEquals(0, MemoryEstimate.keptPerToken(LLAMA_7B, 8192));
        double at512 = MemoryEstimate.of(llama1b, 16, 1, 512).activationsGb();
        assertTrue(at512 > 736.0 / 1024, "activations " + at512);
    }

    @Test
    void jsonHasTheCommandsKeysFirst() {
        Map<String, Object> json = MemoryEstimate.of(LLAMA_7B, 16, 1, 512).toJson();
        assertEquals(List.of("full_gb", "lora_gb", "lora_4bit_gb"), List.copyOf(json.keySet()).subList(0, 3));
        assertThrows(JloraException.class, () -> MemoryEstimate.of(LLAMA_7B, 0, 1, 512));
    }
}
