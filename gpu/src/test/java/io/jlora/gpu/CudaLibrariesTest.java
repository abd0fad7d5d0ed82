package io.jlora.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaLibrariesTest {

    @Test
    void missingDriverIsOneLineNamingLibcudaAndTheFolders(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("usr/lib64"));
        CudaLibraries libs = new CudaLibraries(new LibrarySearch(Map.of(), root), false);
        GpuUnavailableException e = assertThrows(GpuUnavailableException.class, () -> GpuRuntime.open(libs, 0));
        String m = e.getMessage();
        assertTrue(m.startsWith("no CUDA driver: libcuda.so.1 not found (searched "), m);
        assertTrue(m.contains(root.resolve("usr/lib64").toString()), m);
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void aBrokenDriverFileIsReportedNotFatal(@TempDir Path root) throws Exception {
        Path sys = Files.createDirectories(root.resolve("usr/lib/x86_64-linux-gnu"));
        Files.writeString(sys.resolve("libcuda.so.1"), "not an ELF file");
        CudaLibraries libs = new CudaLibraries(new LibrarySearch(Map.of(), root), false);
        GpuUnavailableException e = assertThrows(GpuUnavailableException.class, () -> GpuRuntime.open(libs, 0));
        assertTrue(e.getMessage().startsWith("no CUDA driver: cannot load " + sys.resolve("libcuda.so.1")),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void missingNvrtcAndCublasNameTheWheelToInstall(@TempDir Path root) {
        CudaLibraries libs = new CudaLibraries(new LibrarySearch(Map.of(), root), false);
        try (Arena a = Arena.ofConfined()) {
            String nvrtc = assertThrows(GpuUnavailableException.class, () -> libs.nvrtc(a)).getMessage();
            assertTrue(nvrtc.startsWith("no NVRTC: none of libnvrtc.so.13, libnvrtc.so.12, libnvrtc.so found"), nvrtc);
            assertTrue(nvrtc.contains("nvidia-cuda-nvrtc"), nvrtc);
            String cublas = assertThrows(GpuUnavailableException.class, () -> libs.cublas(a)).getMessage();
            assertTrue(cublas.startsWith("no cuBLAS: "), cublas);
        }
    }

    /**
     * The real loader on this machine, in a child JVM: it must print the one-line reason and exit 0
     * (the JVM survives). Skipped where a driver is installed (a GPU machine reports its device instead).
     */
    @Test
    void onThisMachineTheLoaderSaysNoCudaDriverAndTheJvmSurvives() throws Exception {
        Assumptions.assumeFalse(driverInstalled(), "a CUDA driver is installed here");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), GpuRuntime.class.getName()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM hung");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.startsWith("gpu unavailable: no CUDA driver: libcuda.so.1 not found (searched "), out);
        assertEquals(1, out.lines().count(), out);
    }

    private static boolean driverInstalled() {
        for (Path d : LibrarySearch.SYSTEM_DIRS) {
            if (Files.exists(d.resolve(CudaLibraries.DRIVER))) {
                return true;
            }
        }
        return System.getenv("LD_LIBRARY_PATH") != null && List.of(System.getenv("LD_LIBRARY_PATH").split(":"))
                .stream().anyMatch(d -> !d.isBlank() && Files.exists(Path.of(d, CudaLibraries.DRIVER)));
    }

    @Test
    void nvrtcLogFirstErrorLine() {
        assertEquals("rmsnorm.cu(3): error: identifier \"x\" is undefined",
                Nvrtc.firstError("\nrmsnorm.cu(2): warning: unused\nrmsnorm.cu(3): error: identifier \"x\" is undefined\n"));
        assertEquals("empty log", Nvrtc.firstError("\n"));
        assertEquals("CUBLAS_STATUS_ALLOC_FAILED", Cublas.statusName(3));
    }
}
