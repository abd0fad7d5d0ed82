package io.jlora.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Hand-written FFM bindings of the CUDA driver API subset the GPU path uses. The {@code _v2} symbols
 * are the ones the C headers map the plain names to (64-bit sizes and device pointers); a
 * {@code CUdeviceptr} is a {@code long} here. Every call checks its {@code CUresult} and throws a
 * one-line {@link CudaException} naming the call and CUDA's own error name.
 */
public final class CudaDriver {

    /** cuDeviceGetAttribute codes. */
    public static final int ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int ATTR_COMPUTE_CAPABILITY_MINOR = 76;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;

    private final MethodHandle cuInit, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceTotalMem,
            cuDeviceGetAttribute, cuCtxCreate, cuDevicePrimaryCtxRetain, cuCtxSetCurrent, cuCtxSynchronize,
            cuMemAlloc, cuMemFree, cuMemcpyHtoD, cuMemcpyDtoH, cuMemGetInfo, cuModuleLoadData,
            cuModuleGetFunction, cuLaunchKernel, cuGetErrorString, cuGetErrorName, cuMemcpyDtoD, cuMemsetD8;

    CudaDriver(Downcalls lib) {
        cuInit = lib.bind("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        cuDeviceGetCount = lib.bind("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuDeviceGet = lib.bind("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetName = lib.bind("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuDeviceTotalMem = lib.bind("cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetAttribute = lib.bind("cuDeviceGetAttribute",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuCtxCreate = lib.bind("cuCtxCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuDevicePrimaryCtxRetain = lib.bind("cuDevicePrimaryCtxRetain",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuCtxSetCurrent = lib.bind("cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuCtxSynchronize = lib.bind("cuCtxSynchronize", FunctionDescriptor.of(JAVA_INT));
        cuMemAlloc = lib.bind("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        cuMemFree = lib.bind("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        cuMemcpyHtoD = lib.bind("cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        cuMemcpyDtoH = lib.bind("cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        cuMemcpyDtoD = lib.bind("cuMemcpyDtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        cuMemsetD8 = lib.bind("cuMemsetD8_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG));
        cuMemGetInfo = lib.bind("cuMemGetInfo_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuModuleLoadData = lib.bind("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuModuleGetFunction = lib.bind("cuModuleGetFunction",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuLaunchKernel = lib.bind("cuLaunchKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuGetErrorString = lib.bind("cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        cuGetErrorName = lib.bind("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    public void init() {
        check(call(cuInit, 0), "cuInit");
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check(call(cuDeviceGetCount, n), "cuDeviceGetCount");
            return n.get(JAVA_INT, 0);
        }
    }

    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            check(call(cuDeviceGet, d, ordinal), "cuDeviceGet(" + ordinal + ")");
            return d.get(JAVA_INT, 0);
        }
    }

    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            check(call(cuDeviceGetName, buf, 256, device), "cuDeviceGetName");
            return buf.getString(0, StandardCharsets.UTF_8);
        }
    }

    public long totalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_LONG);
            check(call(cuDeviceTotalMem, n, device), "cuDeviceTotalMem");
            return n.get(JAVA_LONG, 0);
        }
    }

    public int attribute(int device, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(call(cuDeviceGetAttribute, v, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
            return v.get(JAVA_INT, 0);
        }
    }

    /** A new context made current on this thread (cuCtxCreate). */
    public MemorySegment createContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = a.allocate(ADDRESS);
            check(call(cuCtxCreate, ctx, 0, device), "cuCtxCreate");
            return ctx.get(ADDRESS, 0);
        }
    }

    /** The device's primary context (the one the runtime API and torch share), made current on this thread. */
    public MemorySegment usePrimaryContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = a.allocate(ADDRESS);
            check(call(cuDevicePrimaryCtxRetain, ctx, device), "cuDevicePrimaryCtxRetain");
            MemorySegment c = ctx.get(ADDRESS, 0);
            check(call(cuCtxSetCurrent, c), "cuCtxSetCurrent");
            return c;
        }
    }

    public void synchronize() {
        check(call(cuCtxSynchronize), "cuCtxSynchronize");
    }

    /** Device memory (a CUdeviceptr). */
    public long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check(call(cuMemAlloc, p, bytes), "cuMemAlloc(" + bytes + " bytes)");
            return p.get(JAVA_LONG, 0);
        }
    }

    public void free(long devicePtr) {
        check(call(cuMemFree, devicePtr), "cuMemFree");
    }

    public void copyToDevice(long devicePtr, MemorySegment host) {
        check(call(cuMemcpyHtoD, devicePtr, host, host.byteSize()), "cuMemcpyHtoD(" + host.byteSize() + " bytes)");
    }

    public void copyToHost(MemorySegment host, long devicePtr) {
        check(call(cuMemcpyDtoH, host, devicePtr, host.byteSize()), "cuMemcpyDtoH(" + host.byteSize() + " bytes)");
    }

    /** Device-to-device copy on the default stream. */
    public void copyOnDevice(long dst, long src, long bytes) {
        int rc;
        try {
            rc = (int) cuMemcpyDtoD.invokeExact(dst, src, bytes);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        check(rc, "cuMemcpyDtoD(" + bytes + " bytes)");
    }

    /** Sets {@code bytes} bytes to zero. */
    public void zero(long devicePtr, long bytes) {
        int rc;
        try {
            rc = (int) cuMemsetD8.invokeExact(devicePtr, (byte) 0, bytes);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        check(rc, "cuMemsetD8(" + bytes + " bytes)");
    }

    /**
     * Launches on the default stream through an exact invocation (the step's hot path): {@code params} is
     * the {@code void**} array of argument addresses.
     */
    public void launchExact(MemorySegment function, int gridX, int blockX, int sharedBytes, MemorySegment params,
            String name) {
        int rc;
        try {
            rc = (int) cuLaunchKernel.invokeExact(function, gridX, 1, 1, blockX, 1, 1, sharedBytes, MemorySegment.NULL,
                    params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        check(rc, "cuLaunchKernel(" + name + ", grid " + gridX + ", block " + blockX + ")");
    }

    /** {free, total} bytes of the current context's device. */
    public long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG);
            MemorySegment t = a.allocate(JAVA_LONG);
            check(call(cuMemGetInfo, f, t), "cuMemGetInfo");
            return new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        }
    }

    /** Loads a PTX (NUL-terminated text) or cubin image; returns the CUmodule. */
    public MemorySegment loadModule(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(ADDRESS);
            check(call(cuModuleLoadData, m, image), "cuModuleLoadData");
            return m.get(ADDRESS, 0);
        }
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ADDRESS);
            check(call(cuModuleGetFunction, f, module, a.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return f.get(ADDRESS, 0);
        }
    }

    /**
     * Launches a kernel on the default stream.
     *
     * @param params one segment per kernel argument, each holding the argument's value (the
     *     {@code void** kernelParams} array of cuLaunchKernel is built from their addresses)
     */
    public void launch(MemorySegment function, int[] grid, int[] block, int sharedBytes, MemorySegment... params) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment array = a.allocate(ADDRESS, params.length);
            for (int i = 0; i < params.length; i++) {
                array.setAtIndex(ADDRESS, i, params[i]);
            }
            check(call(cuLaunchKernel, function, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                    sharedBytes, MemorySegment.NULL, array, MemorySegment.NULL), "cuLaunchKernel");
        }
    }

    /** "CUDA_ERROR_X (description)" for a CUresult. */
    public String describe(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            String name = (int) call(cuGetErrorName, code, s) == 0 ? cString(s) : "CUresult " + code;
            String text = (int) call(cuGetErrorString, code, s) == 0 ? cString(s) : "unknown error";
            return name + " (" + text + ")";
        }
    }

    void check(Object rc, String what) {
        int code = (int) rc;
        if (code != 0) {
            throw new CudaException(what + " failed: " + describe(code), code);
        }
    }

    private static String cString(MemorySegment holder) {
        return holder.get(ADDRESS, 0).reinterpret(Integer.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    private static Object call(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    static MemorySegment bytes(Arena a, byte[] b) {
        MemorySegment s = a.allocate(b.length + 1L);
        MemorySegment.copy(b, 0, s, JAVA_BYTE, 0, b.length);
        return s;
    }
}
