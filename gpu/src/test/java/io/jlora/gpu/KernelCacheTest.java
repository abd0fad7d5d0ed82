package io.jlora.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCacheTest {

    private static final List<String> OPTS = List.of("--gpu-architecture=sm_90", "-default-device");

    @Test
    void keyChangesWithSourceArchVersionAndOptions() {
        String k = KernelCache.key("src", "sm_90", "12.8", OPTS);
        assertEquals(64, k.length());
        assertEquals(k, KernelCache.key("src", "sm_90", "12.8", OPTS));
        assertNotEquals(k, KernelCache.key("src ", "sm_90", "12.8", OPTS));
        assertNotEquals(k, KernelCache.key("src", "sm_80", "12.8", OPTS));
        assertNotEquals(k, KernelCache.key("src", "sm_90", "13.0", OPTS));
        assertNotEquals(k, KernelCache.key("src", "sm_90", "12.8", List.of("--gpu-architecture=sm_90")));
        // fields are separated: moving text between source and arch changes the key
        assertNotEquals(KernelCache.key("ab", "c", "v", List.of()), KernelCache.key("a", "bc", "v", List.of()));
    }

    @Test
    void pathIsArchFolderThenNameAndKeyPrefix(@TempDir Path root) {
        String key = KernelCache.key("src", "sm_90", "12.8", OPTS);
        Path p = new KernelCache(root).path("rmsnorm.cu", "sm_90", key);
        assertEquals(root.resolve("sm_90").resolve("rmsnorm-" + key.substring(0, 16) + ".ptx"), p);
    }

    @Test
    void compilesOnceThenReadsTheCacheAndLeavesNoTemporaryFile(@TempDir Path root) throws Exception {
        KernelCache cache = new KernelCache(root);
        AtomicInteger compiles = new AtomicInteger();
        String key = KernelCache.key("src", "sm_90", "12.8", OPTS);
        assertEquals("PTX", cache.getOrCompile("adamw.cu", "sm_90", key, () -> {
            compiles.incrementAndGet();
            return "PTX";
        }));
        assertEquals("PTX", cache.getOrCompile("adamw.cu", "sm_90", key, () -> {
            compiles.incrementAndGet();
            return "other";
        }));
        assertEquals(1, compiles.get());
        try (Stream<Path> files = Files.list(root.resolve("sm_90"))) {
            assertEquals(List.of(cache.path("adamw.cu", "sm_90", key)), files.toList());
        }
    }

    @Test
    void defaultRootPrefersExplicitThenXdgThenHome() {
        assertEquals(Path.of("/x/k"), KernelCache.defaultRoot(Map.of("JLORA_KERNEL_CACHE", "/x/k", "HOME", "/h")));
        assertEquals(Path.of("/xdg/jlora/kernels"), KernelCache.defaultRoot(Map.of("XDG_CACHE_HOME", "/xdg", "HOME", "/h")));
        assertEquals(Path.of("/h/.cache/jlora/kernels"), KernelCache.defaultRoot(Map.of("HOME", "/h")));
    }

    @Test
    void shippedKernelSourcesDeclareTheirEntryPoints() {
        assertTrue(KernelCache.source("step.cu").contains("extern \"C\" __global__ void rmsnorm("));
        assertTrue(KernelCache.source("adamw.cu").contains("extern \"C\" __global__ void adamw_step("));
        assertTrue(KernelCache.source("step.cu").contains("extern \"C\" __global__ void sum_squares("));
        assertTrue(KernelCache.source("step.cu").contains("extern \"C\" __global__ void dequant_4bit("));
        for (String k : List.of("step.cu", "adamw.cu")) {
            assertTrue(KernelCache.source(k).contains("NVRTC at first use"), k);
        }
    }
}
