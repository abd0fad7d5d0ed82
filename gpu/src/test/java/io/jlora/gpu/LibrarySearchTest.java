package io.jlora.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibrarySearchTest {

    private static Path dir(Path p) throws Exception {
        return Files.createDirectories(p);
    }

    @Test
    void searchOrderIsExplicitLdPathCudaHomeToolkitsNewestFirstWheelsThenSystem(@TempDir Path root) throws Exception {
        Path explicit = dir(root.resolve("opt/mine"));
        Path ld = dir(root.resolve("opt/ld"));
        Path cudaHome = dir(root.resolve("opt/cuda-home/lib64"));
        Path cuda = dir(root.resolve("usr/local/cuda/lib64"));
        Path cuda13 = dir(root.resolve("usr/local/cuda-13.0/lib64"));
        Path cuda129 = dir(root.resolve("usr/local/cuda-12.9/lib64"));
        Path cuda12lib = dir(root.resolve("usr/local/cuda-12.9/lib"));
        Path venv = root.resolve("venv");
        Path venvWheel = dir(venv.resolve("lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib"));
        Path userWheel = dir(root.resolve("home/u/.local/lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib"));
        Path sysWheel = dir(root.resolve("usr/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib"));
        Path system = dir(root.resolve("usr/lib/x86_64-linux-gnu"));
        Map<String, String> env = Map.of("JLORA_CUDA_LIB", explicit.toString(),
                "LD_LIBRARY_PATH", ld + "::" + root.resolve("missing"),
                "CUDA_HOME", root.resolve("opt/cuda-home").toString(),
                "VIRTUAL_ENV", venv.toString(), "HOME", root.resolve("home/u").toString());
        List<Path> got = new LibrarySearch(env, root).folders("cuda_nvrtc");
        assertEquals(List.of(explicit, ld, cudaHome, cuda, cuda13, cuda129, cuda12lib, venvWheel, userWheel, sysWheel,
                system, root.resolve("usr/lib")), got);
        // the driver is never in a wheel: those folders are left out
        assertTrue(!new LibrarySearch(env, root).folders(null).contains(venvWheel));
    }

    @Test
    void findReturnsTheFirstFolderHoldingAnyName(@TempDir Path root) throws Exception {
        Path cuda = dir(root.resolve("usr/local/cuda/lib64"));
        Path wheel = dir(root.resolve("venv/lib/python3.12/site-packages/nvidia/cublas/lib"));
        Files.writeString(wheel.resolve("libcublas.so.12"), "");
        Map<String, String> env = Map.of("VIRTUAL_ENV", root.resolve("venv").toString());
        LibrarySearch s = new LibrarySearch(env, root);
        assertEquals(wheel.resolve("libcublas.so.12"), s.find("cublas", CudaLibraries.CUBLAS));
        Files.writeString(cuda.resolve("libcublas.so.13"), "");
        assertEquals(cuda.resolve("libcublas.so.13"), s.find("cublas", CudaLibraries.CUBLAS));
        assertEquals(null, s.find("cublas", List.of("libnothing.so")));
    }

    @Test
    void versionsCompareNumerically() {
        assertTrue(LibrarySearch.compareVersioned(Path.of("cuda-12.9"), Path.of("cuda-13.0")) < 0);
        assertTrue(LibrarySearch.compareVersioned(Path.of("python3.9"), Path.of("python3.12")) < 0);
    }
}
