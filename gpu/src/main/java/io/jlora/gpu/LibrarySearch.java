package io.jlora.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where the CUDA libraries are looked for, in order. Pure path logic (no loading), so the order is
 * testable on any machine:
 * <ol>
 *   <li>{@code JLORA_CUDA_LIB} (one folder the user names explicitly);</li>
 *   <li>{@code LD_LIBRARY_PATH}, in its order;</li>
 *   <li>{@code CUDA_HOME} / {@code CUDA_PATH}, then {@code /usr/local/cuda} and the versioned
 *       {@code /usr/local/cuda-*} toolkits (newest first), each as {@code lib64} then {@code lib};</li>
 *   <li>the {@code nvidia/<component>/lib} folders of the Python installs that pip's
 *       {@code nvidia-*-cu12/cu13} wheels fill: the active virtualenv or conda env, the user's
 *       {@code ~/.local}, then the system's site/dist-packages;</li>
 *   <li>the system library folders (the driver's libcuda.so.1 lives there, not in the toolkit).</li>
 * </ol>
 * The driver is first asked of the dynamic loader by soname (so ldconfig's cache wins, as for any
 * CUDA program); the folders above are the fallback and the list the error message shows.
 */
public final class LibrarySearch {

    /** The system folders where distributions and the NVIDIA installer put libcuda.so.1. */
    static final List<Path> SYSTEM_DIRS = List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
            Path.of("/usr/lib"), Path.of("/lib/x86_64-linux-gnu"), Path.of("/usr/lib/wsl/lib"),
            // where the NVIDIA container toolkit mounts the driver's libraries
            Path.of("/usr/local/nvidia/lib64"), Path.of("/usr/local/nvidia/lib"));

    private final Map<String, String> env;
    private final Path root;

    /**
     * @param env the environment to read ({@code System.getenv()} in production, a map in tests)
     * @param root the file system root the fixed folders hang from ({@code /} in production, a
     *     temporary folder in tests)
     */
    public LibrarySearch(Map<String, String> env, Path root) {
        this.env = Map.copyOf(env);
        this.root = root;
    }

    public static LibrarySearch system() {
        return new LibrarySearch(System.getenv(), Path.of("/"));
    }

    /**
     * The folders to look in for one CUDA component, in order, existing ones only, without duplicates.
     *
     * @param wheelComponent the folder under site-packages' {@code nvidia/} that the pip wheel uses
     *     ({@code cuda_nvrtc}, {@code cublas}), or null for the driver (no wheel carries it)
     */
    public List<Path> folders(String wheelComponent) {
        Set<Path> out = new LinkedHashSet<>();
        String explicit = env.get("JLORA_CUDA_LIB");
        if (explicit != null && !explicit.isBlank()) {
            out.add(Path.of(explicit));
        }
        String ld = env.get("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String part : ld.split(":")) {
                if (!part.isBlank()) {
                    out.add(Path.of(part));
                }
            }
        }
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = env.get(var);
            if (home != null && !home.isBlank()) {
                out.add(Path.of(home, "lib64"));
                out.add(Path.of(home, "lib"));
            }
        }
        Path local = root.resolve("usr/local");
        out.add(local.resolve("cuda/lib64"));
        out.add(local.resolve("cuda/lib"));
        for (Path toolkit : children(local, "cuda-", true)) {
            out.add(toolkit.resolve("lib64"));
            out.add(toolkit.resolve("lib"));
        }
        if (wheelComponent != null) {
            for (Path site : sitePackages()) {
                out.add(site.resolve("nvidia").resolve(wheelComponent).resolve("lib"));
                out.add(site.resolve("nvidia/cu13/lib")); // CUDA 13 wheels put every component here
            }
        }
        for (Path sys : SYSTEM_DIRS) {
            out.add(root.resolve(sys.toString().substring(1)));
        }
        return out.stream().filter(Files::isDirectory).toList();
    }

    /** The existing site-packages / dist-packages folders of the Python installs, in search order. */
    public List<Path> sitePackages() {
        List<Path> prefixes = new ArrayList<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String p = env.get(var);
            if (p != null && !p.isBlank()) {
                prefixes.add(Path.of(p));
            }
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) {
            prefixes.add(Path.of(home, ".local"));
        }
        prefixes.add(root.resolve("usr/local"));
        prefixes.add(root.resolve("usr"));
        List<Path> out = new ArrayList<>();
        for (Path prefix : prefixes) {
            for (Path py : children(prefix.resolve("lib"), "python3", true)) {
                out.add(py.resolve("site-packages"));
                out.add(py.resolve("dist-packages"));
            }
        }
        return out.stream().filter(Files::isDirectory).toList();
    }

    /** The first file named one of {@code names} in {@link #folders}, in folder order, then name order. */
    public Path find(String wheelComponent, List<String> names) {
        for (Path dir : folders(wheelComponent)) {
            for (String name : names) {
                Path f = dir.resolve(name);
                if (Files.exists(f)) {
                    return f;
                }
            }
        }
        return null;
    }

    /** Folders under {@code dir} whose name starts with {@code prefix}, sorted (reversed: newest version first). */
    private static List<Path> children(Path dir, String prefix, boolean newestFirst) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> found = new ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .filter(Files::isDirectory).sorted(LibrarySearch::compareVersioned).toList());
            if (newestFirst) {
                java.util.Collections.reverse(found);
            }
            return found;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Orders cuda-12.9 before cuda-13.0 and python3.9 before python3.12 (numeric, not lexical). */
    static int compareVersioned(Path a, Path b) {
        String[] x = a.getFileName().toString().split("[^0-9]+");
        String[] y = b.getFileName().toString().split("[^0-9]+");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length && !x[i].isEmpty() ? Integer.parseInt(x[i]) : -1;
            int yi = i < y.length && !y[i].isEmpty() ? Integer.parseInt(y[i]) : -1;
            if (xi != yi) {
                return Integer.compare(xi, yi);
            }
        }
        return a.compareTo(b);
    }
}
