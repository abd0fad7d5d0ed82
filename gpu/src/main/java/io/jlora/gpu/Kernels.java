package io.jlora.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads this module's CUDA C kernels on the current context: NVRTC compiles a source at first use for
 * the device's architecture, {@link KernelCache} keeps the PTX, the driver loads it as a module.
 */
public final class Kernels {

    private final GpuRuntime gpu;
    private final KernelCache cache;
    private final List<String> includes;

    public Kernels(GpuRuntime gpu, KernelCache cache, List<String> includes) {
        this.gpu = gpu;
        this.cache = cache;
        this.includes = List.copyOf(includes);
    }

    /** The default cache folder and the CUDA headers of the toolkit or wheel found on this machine. */
    public static Kernels system(GpuRuntime gpu) {
        return new Kernels(gpu, new KernelCache(KernelCache.defaultRoot(System.getenv())),
                includeDirs(LibrarySearch.system(), System.getenv()));
    }

    /**
     * Folders holding {@code cuda_bf16.h} (NVRTC needs them unless its version has the header
     * built in): {@code CUDA_HOME/include}, the toolkits', and the nvidia wheels' include folders.
     */
    static List<String> includeDirs(LibrarySearch search, Map<String, String> env) {
        List<String> out = new ArrayList<>();
        List<Path> candidates = new ArrayList<>();
        for (Path lib : search.folders("cuda_runtime")) {
            candidates.add(lib.resolveSibling("include"));
            Path up = lib.getParent() == null ? null : lib.getParent().getParent();
            if (up != null) {
                candidates.add(up.resolve("include")); // targets/x86_64-linux/lib -> include
            }
        }
        String home = env.get("CUDA_HOME");
        if (home != null && !home.isBlank()) {
            candidates.add(0, Path.of(home, "include"));
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c.resolve("cuda_bf16.h")) && !out.contains("-I" + c)) {
                out.add("-I" + c);
            }
        }
        return out;
    }

    /** Compile options for an architecture such as {@code sm_90}: PTX for its virtual architecture. */
    List<String> options(String arch) {
        List<String> opts = new ArrayList<>(List.of("--gpu-architecture=" + arch.replace("sm_", "compute_"),
                "--std=c++17", "-default-device"));
        opts.addAll(includes);
        return opts;
    }

    /** The CUmodule of kernel file {@code name} ({@code adamw.cu}), compiled or read from the cache. */
    public MemorySegment load(String name) {
        return loadSource(name, KernelCache.source(name));
    }

    MemorySegment loadSource(String name, String source) {
        String arch = gpu.architecture();
        List<String> opts = options(arch);
        Nvrtc nvrtc = gpu.nvrtc();
        String key = KernelCache.key(source, arch, nvrtc.version(), opts);
        String ptx = cache.getOrCompile(name, arch, key, () -> nvrtc.compileToPtx(source, name, opts));
        try (Arena a = Arena.ofConfined()) {
            return gpu.driver().loadModule(CudaDriver.bytes(a, ptx.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
