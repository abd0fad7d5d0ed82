package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The allocator follows the model: loading a quantized base sets glibc's lean malloc (on Linux with
 * glibc, unless the environment chose), and the user's own MALLOC_* or GLIBC_TUNABLES win; under a
 * preloaded tcmalloc nothing is set, and the loader's free memory is handed back.
 */
class LeanAllocatorTest {

    private static final boolean LINUX = System.getProperty("os.name").startsWith("Linux");

    @Test
    void aUsersMallocSettingWins() {
        assertTrue(LeanAllocator.userChose(Map.of("MALLOC_MMAP_THRESHOLD_", "65536")));
        assertTrue(LeanAllocator.userChose(Map.of("MALLOC_ARENA_MAX", "4")));
        assertTrue(LeanAllocator.userChose(Map.of("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")));
        assertFalse(LeanAllocator.userChose(Map.of("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2", "THP_MEM_ALLOC_ENABLE", "1")));
    }

    @Test
    void loadingAQuantizedBaseSetsIt() {
        assumeTrue(LINUX && !LeanAllocator.userChose(System.getenv()) && !LeanAllocator.tcmallocLoaded(),
                "glibc's defaults in place");
        try (CausalLm lm = QuantizedModels.load(TestFiles.golden("llama-tiny").resolve("model"), "cpu", "auto", "int4")) {
            assertTrue(LeanAllocator.applied());
            assertTrue(LeanAllocator.apply(), "again: nothing to do");
            assertTrue(LeanAllocator.releaseFreeMemory(), "glibc's malloc_trim");
        }
    }

    /** A JVM started as bin/jlora starts one, tcmalloc preloaded: glibc is left alone, tcmalloc releases. */
    @Test
    void underTcmallocNothingIsSetAndFreeMemoryIsReleased() throws Exception {
        String machine = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        Path tcmalloc = Path.of("/usr/lib/" + machine + "-linux-gnu/libtcmalloc_minimal.so.4");
        assumeTrue(LINUX && Files.isRegularFile(tcmalloc), "tcmalloc installed (Debian: libtcmalloc-minimal4)");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Probe.class.getName()).redirectErrorStream(true);
        pb.environment().put("LD_PRELOAD", tcmalloc.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("MALLOC_") || k.equals("GLIBC_TUNABLES"));
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), out);
        assertEquals(List.of("tcmalloc=true", "applied=false", "released=true"), List.of(out.split("\n")));
    }

    /** Run by the test above in a JVM of its own. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println("tcmalloc=" + LeanAllocator.tcmallocLoaded());
            System.out.println("applied=" + LeanAllocator.apply());
            System.out.println("released=" + LeanAllocator.releaseFreeMemory());
        }
    }
}
