package io.jlora.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The NVRTC compile cache. Kernels ship as CUDA C in this module's resources and are compiled at first
 * use for the device's architecture; the PTX is kept at
 * {@code ROOT/ARCH/NAME-KEY.ptx}, where KEY is the SHA-256 of everything that changes the output
 * (source, architecture, NVRTC version, options). A changed kernel or a new driver/toolkit therefore
 * never reuses a stale file. Writes go to a temporary name and are renamed, so a concurrent or
 * interrupted compile never leaves a half-written PTX.
 */
public final class KernelCache {

    /** The folder under the cache root; {@code JLORA_KERNEL_CACHE} replaces the whole path. */
    static final String SUBDIR = "jlora/kernels";

    private final Path root;

    public KernelCache(Path root) {
        this.root = root;
    }

    /** {@code $JLORA_KERNEL_CACHE}, else {@code $XDG_CACHE_HOME/jlora/kernels}, else {@code ~/.cache/jlora/kernels}. */
    public static Path defaultRoot(Map<String, String> env) {
        String explicit = env.get("JLORA_KERNEL_CACHE");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg).resolve(SUBDIR);
        }
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache").resolve(SUBDIR);
    }

    /** Hex SHA-256 over source, architecture, NVRTC version and options, each NUL-separated. */
    public static String key(String source, String arch, String nvrtcVersion, List<String> options) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : List.of(source, arch, nvrtcVersion, String.join("\u0001", options))) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where the PTX of kernel file {@code name} (e.g. {@code rmsnorm.cu}) compiled under {@code key} lives. */
    public Path path(String name, String arch, String key) {
        String base = name.endsWith(".cu") ? name.substring(0, name.length() - 3) : name;
        return root.resolve(arch).resolve(base + "-" + key.substring(0, 16) + ".ptx");
    }

    /** The cached PTX, or the compiler's output stored first. */
    public String getOrCompile(String name, String arch, String key, Supplier<String> compile) {
        Path file = path(name, arch, key);
        try {
            if (Files.isRegularFile(file)) {
                return Files.readString(file);
            }
            String ptx = compile.get();
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            try {
                Files.writeString(tmp, ptx);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return ptx;
        } catch (IOException e) {
            throw new UncheckedIOException("kernel cache " + file + ": " + e.getMessage(), e);
        }
    }

    /** The CUDA C source of a kernel shipped in this module ({@code kernels/NAME}). */
    public static String source(String name) {
        try (InputStream in = KernelCache.class.getResourceAsStream("kernels/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no kernel source kernels/" + name + " in jlora-gpu");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
