package io.jlora.gpu;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Finds and opens the three CUDA libraries the GPU path binds: the driver ({@code libcuda.so.1},
 * installed with the NVIDIA driver), NVRTC and cuBLAS (from a CUDA toolkit or the {@code nvidia-*}
 * pip wheels). Every failure is one {@link GpuUnavailableException} line naming the library and the
 * folders searched; nothing here can abort the JVM.
 */
public final class CudaLibraries {

    /** The driver's soname: stable across driver versions. */
    public static final String DRIVER = "libcuda.so.1";
    /** NVRTC file names, newest CUDA major first (12 and 13 have the same C API for what we bind). */
    public static final List<String> NVRTC = List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so");
    public static final List<String> CUBLAS = List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so");
    public static final List<String> CUBLAS_LT = List.of("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so");

    private final LibrarySearch search;
    private final boolean askLoaderFirst;

    /**
     * @param askLoaderFirst try the dynamic loader's own lookup by soname before the folders (true in
     *     production; tests turn it off to stay hermetic on machines that have a driver)
     */
    public CudaLibraries(LibrarySearch search, boolean askLoaderFirst) {
        this.search = search;
        this.askLoaderFirst = askLoaderFirst;
    }

    public static CudaLibraries system() {
        return new CudaLibraries(LibrarySearch.system(), true);
    }

    /** Opens the driver library, or says in one line why not. */
    Downcalls driver(Arena arena) {
        if (askLoaderFirst) {
            try {
                return Downcalls.bySoname(DRIVER, arena);
            } catch (IllegalArgumentException notFound) {
                // fall through to the folders, which also give the error message its list
            }
        }
        Path file = search.find(null, List.of(DRIVER));
        if (file == null) {
            throw new GpuUnavailableException("no CUDA driver: " + DRIVER + " not found (searched "
                    + (askLoaderFirst ? "the dynamic loader's path, " : "") + describe(search.folders(null))
                    + "); install the NVIDIA driver or set JLORA_CUDA_LIB");
        }
        return open(file, "no CUDA driver", arena);
    }

    /** Opens NVRTC, or says in one line why not. */
    Downcalls nvrtc(Arena arena) {
        return openComponent("NVRTC", "cuda_nvrtc", NVRTC, arena);
    }

    /** Opens cuBLAS (after cuBLASLt from the same folder, which it needs), or says in one line why not. */
    Downcalls cublas(Arena arena) {
        Path file = search.find("cublas", CUBLAS);
        if (file == null) {
            throw missing("cuBLAS", "cublas", CUBLAS);
        }
        for (String lt : CUBLAS_LT) {
            Path ltFile = file.resolveSibling(lt);
            if (ltFile.toFile().exists()) {
                open(ltFile, "no cuBLASLt", arena);
                break;
            }
        }
        return open(file, "no cuBLAS", arena);
    }

    private Downcalls openComponent(String what, String wheel, List<String> names, Arena arena) {
        Path file = search.find(wheel, names);
        if (file == null) {
            throw missing(what, wheel, names);
        }
        return open(file, "no " + what, arena);
    }

    private GpuUnavailableException missing(String what, String wheel, List<String> names) {
        return new GpuUnavailableException("no " + what + ": none of " + String.join(", ", names)
                + " found (searched " + describe(search.folders(wheel))
                + "); install the CUDA toolkit or pip's nvidia-" + wheel.replace('_', '-') + " wheel, or set JLORA_CUDA_LIB");
    }

    private static Downcalls open(Path file, String cause, Arena arena) {
        try {
            return Downcalls.byPath(file, arena);
        } catch (IllegalArgumentException e) {
            throw new GpuUnavailableException(cause + ": cannot load " + file + ": " + oneLine(e.getMessage()), e);
        }
    }

    static String describe(List<Path> folders) {
        return folders.isEmpty() ? "no existing folder"
                : folders.stream().map(Path::toString).collect(Collectors.joining(", "));
    }

    static String oneLine(String s) {
        return s == null ? "unknown error" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
