package io.jlora.gpu;

import java.lang.foreign.Arena;

/**
 * The entry point: opens the driver, initialises it and picks a device, or throws one
 * {@link GpuUnavailableException} line ("no CUDA driver: ...", "no GPU: cuDeviceGetCount returned 0").
 * NVRTC and cuBLAS are opened lazily, so a machine with only the driver can still report its device.
 */
public final class GpuRuntime {

    private final Arena arena = Arena.ofShared();
    private final CudaLibraries libraries;
    private final CudaDriver driver;
    private final int device;
    private Nvrtc nvrtc;
    private Cublas cublas;

    private GpuRuntime(CudaLibraries libraries, int ordinal) {
        this.libraries = libraries;
        try {
            this.driver = new CudaDriver(libraries.driver(arena));
            try {
                driver.init();
            } catch (CudaException e) {
                throw new GpuUnavailableException("no GPU: " + e.getMessage(), e);
            }
            int count = driver.deviceCount();
            if (count == 0) {
                throw new GpuUnavailableException("no GPU: cuDeviceGetCount returned 0");
            }
            if (ordinal >= count) {
                throw new GpuUnavailableException("no GPU " + ordinal + ": this machine has " + count);
            }
            this.device = driver.device(ordinal);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Opens device {@code ordinal} with the libraries found on this machine. */
    public static GpuRuntime open(int ordinal) {
        return new GpuRuntime(CudaLibraries.system(), ordinal);
    }

    /**
     * GPU 0 for a device check's {@code main}, or, without one, the reason printed and the process
     * ended with status 3 (what bench/gpu/run.sh reads as "no GPU").
     */
    public static GpuRuntime openOrExit() {
        try {
            return open(0);
        } catch (GpuUnavailableException e) {
            System.out.println("gpu unavailable: " + e.getMessage());
            System.exit(3);
            throw e;
        }
    }

    static GpuRuntime open(CudaLibraries libraries, int ordinal) {
        return new GpuRuntime(libraries, ordinal);
    }

    public CudaDriver driver() {
        return driver;
    }

    public int device() {
        return device;
    }

    /** "sm_90" for an H100/H200: what NVRTC compiles for and the compile cache is keyed by. */
    public String architecture() {
        return "sm_" + driver.attribute(device, CudaDriver.ATTR_COMPUTE_CAPABILITY_MAJOR)
                + driver.attribute(device, CudaDriver.ATTR_COMPUTE_CAPABILITY_MINOR);
    }

    public synchronized Nvrtc nvrtc() {
        if (nvrtc == null) {
            nvrtc = new Nvrtc(libraries.nvrtc(arena));
        }
        return nvrtc;
    }

    public synchronized Cublas cublas() {
        if (cublas == null) {
            cublas = new Cublas(libraries.cublas(arena));
        }
        return cublas;
    }

    /** One line for logs and the {@code --device gpu} banner. */
    public String describe() {
        return driver.deviceName(device) + ", " + architecture() + ", "
                + String.format("%.1f GiB", driver.totalMemory(device) / (double) (1L << 30));
    }

    /**
     * Prints the device line, or the one-line reason there is none, and exits 0 either way: the
     * check the device script runs first.
     */
    public static void main(String[] args) {
        try {
            GpuRuntime gpu = open(0);
            System.out.println("gpu: " + gpu.describe());
        } catch (GpuUnavailableException e) {
            System.out.println("gpu unavailable: " + e.getMessage());
        }
    }
}
