package io.jlora.kernel.install;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel's {@code LD_PRELOAD} of tcmalloc, found as bin/lib/jvm-env.sh finds it for bin/jlora and
 * bin/jlora-shell: {@code libtcmalloc_minimal.so.4} (Debian: libtcmalloc-minimal4) in the machine's
 * multiarch library folder, /usr/lib64 or /usr/lib. tcmalloc reuses freed tensors where glibc's malloc
 * returns large ones to the system and faults them in again (bench/train). {@code JLORA_MALLOC=glibc}
 * at install time, or no such library, leaves glibc's malloc.
 */
final class Tcmalloc {

    static final String LIBRARY = "libtcmalloc_minimal.so.4";

    private Tcmalloc() {}

    /** The folders searched, in order, for a JVM whose {@code os.arch} is {@code osArch}. */
    static List<Path> folders(String osArch) {
        String machine = switch (osArch) {
            case "amd64", "x86_64" -> "x86_64";
            case "arm64", "aarch64" -> "aarch64";
            default -> osArch;
        };
        return List.of(Path.of("/usr/lib/" + machine + "-linux-gnu"), Path.of("/usr/lib64"), Path.of("/usr/lib"));
    }

    /**
     * The value for the kernel's {@code LD_PRELOAD}, from the installer's environment {@code env}:
     * tcmalloc's path, before env's own LD_PRELOAD if it has one; env's LD_PRELOAD as it is when it
     * preloads a malloc already (bin/jlora, which runs the installer, preloads tcmalloc; a user may
     * preload another); empty when env asks for glibc or no folder holds the library.
     */
    static Optional<String> preload(Map<String, String> env, List<Path> folders) {
        String current = env.getOrDefault("LD_PRELOAD", "");
        if (env.getOrDefault("JLORA_MALLOC", "tcmalloc").equals("glibc")) {
            return Optional.empty();
        }
        if (current.contains("malloc")) {
            return Optional.of(current);
        }
        return folders.stream().map(f -> f.resolve(LIBRARY)).filter(Files::isRegularFile).findFirst()
                .map(lib -> current.isEmpty() ? lib.toString() : lib + ":" + current);
    }
}
