package io.jlora.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Hand-written FFM bindings of NVRTC: CUDA C source to PTX at run time, for the device's own
 * architecture. A compile error becomes one {@link CudaException} line naming the kernel file and
 * the first error line of NVRTC's log.
 */
public final class Nvrtc {

    private final MethodHandle create, compile, logSize, log, ptxSize, ptx, destroy, errorString, version;

    Nvrtc(Downcalls lib) {
        create = lib.bind("nvrtcCreateProgram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        compile = lib.bind("nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        logSize = lib.bind("nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        log = lib.bind("nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        ptxSize = lib.bind("nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        ptx = lib.bind("nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = lib.bind("nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        errorString = lib.bind("nvrtcGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        version = lib.bind("nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** "major.minor" of the loaded NVRTC (part of the compile-cache key). */
    public String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT);
            MemorySegment minor = a.allocate(JAVA_INT);
            check(call(version, major, minor), "nvrtcVersion");
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        }
    }

    /**
     * Compiles {@code source} to PTX text.
     *
     * @param name the kernel file's name, shown in errors ({@code rmsnorm.cu})
     * @param options e.g. {@code --gpu-architecture=compute_90}, {@code -default-device}
     */
    public String compileToPtx(String source, String name, List<String> options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment progHolder = a.allocate(ADDRESS);
            check(call(create, progHolder, a.allocateFrom(source), a.allocateFrom(name), 0, MemorySegment.NULL,
                    MemorySegment.NULL), "nvrtcCreateProgram(" + name + ")");
            MemorySegment prog = progHolder.get(ADDRESS, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) {
                    opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
                }
                int rc = (int) call(compile, prog, options.size(), opts);
                if (rc != 0) {
                    throw new CudaException("NVRTC cannot compile " + name + ": " + firstError(programLog(a, prog))
                            + " (" + describe(rc) + ")", rc);
                }
                MemorySegment size = a.allocate(JAVA_LONG);
                check(call(ptxSize, prog, size), "nvrtcGetPTXSize");
                MemorySegment text = a.allocate(size.get(JAVA_LONG, 0));
                check(call(ptx, prog, text), "nvrtcGetPTX");
                return text.getString(0, StandardCharsets.UTF_8);
            } finally {
                call(destroy, progHolder);
            }
        }
    }

    private String programLog(Arena a, MemorySegment prog) {
        MemorySegment size = a.allocate(JAVA_LONG);
        check(call(logSize, prog, size), "nvrtcGetProgramLogSize");
        MemorySegment text = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        check(call(log, prog, text), "nvrtcGetProgramLog");
        return text.getString(0, StandardCharsets.UTF_8);
    }

    /** The first line of an NVRTC log that says "error", else its first non-blank line. */
    static String firstError(String log) {
        String first = null;
        for (String line : log.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.contains("error")) {
                return line.strip();
            }
            if (first == null) {
                first = line.strip();
            }
        }
        return first == null ? "empty log" : first;
    }

    String describe(int code) {
        MemorySegment s = (MemorySegment) call(errorString, code);
        return s.reinterpret(Integer.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    private void check(Object rc, String what) {
        int code = (int) rc;
        if (code != 0) {
            throw new CudaException(what + " failed: " + describe(code), code);
        }
    }

    private static Object call(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
