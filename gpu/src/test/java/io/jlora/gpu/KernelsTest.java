package io.jlora.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelsTest {

    @Test
    void headerFoldersComeFromCudaHomeToolkitsAndWheels(@TempDir Path root) throws Exception {
        Path home = Files.createDirectories(root.resolve("opt/cuda/include"));
        Files.writeString(home.resolve("cuda_bf16.h"), "");
        Files.createDirectories(root.resolve("opt/cuda/lib64"));
        Path wheelLib = Files.createDirectories(root.resolve("venv/lib/python3.12/site-packages/nvidia/cu13/lib"));
        Path wheelInc = Files.createDirectories(wheelLib.resolveSibling("include"));
        Files.writeString(wheelInc.resolve("cuda_bf16.h"), "");
        Files.createDirectories(root.resolve("usr/local/cuda/lib64")); // a toolkit without headers: skipped
        Map<String, String> env = Map.of("CUDA_HOME", root.resolve("opt/cuda").toString(),
                "VIRTUAL_ENV", root.resolve("venv").toString());
        assertEquals(List.of("-I" + home, "-I" + wheelInc), Kernels.includeDirs(new LibrarySearch(env, root), env));
    }

    @Test
    void compilesPtxForTheDevicesVirtualArchitecture() {
        Kernels k = new Kernels(null, null, List.of("-I/x"));
        assertEquals(List.of("--gpu-architecture=compute_90", "--std=c++17", "-default-device", "-I/x"),
                k.options("sm_90"));
    }
}
