package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The allocator follows the model: loading a quantized base sets glibc's lean malloc (on Linux with
 * glibc, unless the environment chose), and the user's own MALLOC_* or GLIBC_TUNABLES win.
 */
class LeanAllocatorTest {

    @Test
    void aUsersMallocSettingWins() {
        assertTrue(LeanAllocator.userChose(Map.of("MALLOC_MMAP_THRESHOLD_", "65536")));
        assertTrue(LeanAllocator.userChose(Map.of("MALLOC_ARENA_MAX", "4")));
        assertTrue(LeanAllocator.userChose(Map.of("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")));
        assertFalse(LeanAllocator.userChose(Map.of("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2", "THP_MEM_ALLOC_ENABLE", "1")));
    }

    @Test
    void loadingAQuantizedBaseSetsIt() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && !LeanAllocator.userChose(System.getenv()),
                "glibc's defaults in place");
        try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto", "int4")) {
            assertTrue(LeanAllocator.applied());
            assertTrue(LeanAllocator.apply(), "again: nothing to do");
        }
    }
}
