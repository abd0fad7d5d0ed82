package io.jlora.kernel.install;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes a Jupyter kernelspec for this kernel where {@code jupyter kernelspec install} would:
 * {@code --user} under the user's Jupyter data folder, {@code --prefix DIR} under
 * {@code DIR/share/jupyter/kernels}, otherwise the system-wide {@code /usr/local/share/jupyter/kernels}.
 * The jars of the installer's class path are copied into the spec's {@code lib/}, so the kernel keeps
 * working when the checkout it came from is moved, cleaned or rebuilt.
 */
public final class KernelSpecInstaller {
    public enum Location { USER, PREFIX, SYSTEM }

    public enum InterruptMode { MESSAGE, SIGNAL }

    private final String name;
    private final InterruptMode interruptMode;
    private final List<String> extraJvmOptions;
    private final boolean classDataArchive;
    private static final String ARCHIVE = "jlora-classes.jsa";
    private static final String LIB = "lib";

    public KernelSpecInstaller(String name, InterruptMode interruptMode, List<String> extraJvmOptions) {
        this(name, interruptMode, extraJvmOptions, true);
    }

    /** @param classDataArchive whether to write a class-data-sharing archive that speeds up kernel starts */
    public KernelSpecInstaller(String name, InterruptMode interruptMode, List<String> extraJvmOptions, boolean classDataArchive) {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("--name '" + name + "' may hold only letters, digits, '.', '_' and '-'");
        }
        this.name = name;
        this.interruptMode = interruptMode;
        this.extraJvmOptions = List.copyOf(extraJvmOptions);
        this.classDataArchive = classDataArchive;
    }

    public static Path kernelsDir(Location location, Path prefix) {
        return switch (location) {
            case PREFIX -> prefix.toAbsolutePath().resolve("share/jupyter/kernels");
            case USER -> userDataDir().resolve("kernels");
            case SYSTEM -> Path.of("/usr/local/share/jupyter/kernels");
        };
    }

    /** Jupyter's user data folder: $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter. */
    private static Path userDataDir() {
        String jupyter = System.getenv("JUPYTER_DATA_DIR");
        if (jupyter != null && !jupyter.isEmpty()) return Path.of(jupyter);
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : home().resolve(".local/share");
        return base.resolve("jupyter");
    }

    /** $HOME, as Jupyter reads it (Java's user.home comes from the password file and ignores $HOME). */
    private static Path home() {
        String home = System.getenv("HOME");
        return home != null && !home.isEmpty() ? Path.of(home) : Path.of(System.getProperty("user.home"));
    }

    /**
     * Writes the spec (kernel.json, logos, the jars in lib/) to {@code kernelsDir/NAME}, replacing an
     * older one whole; then, in place, the class-data archive, which must name the jars where they stay.
     */
    public Path install(Path kernelsDir) throws IOException {
        Path target = kernelsDir.resolve(name);
        Files.createDirectories(kernelsDir);
        Path staging = Files.createTempDirectory(kernelsDir, "." + name + "-");
        List<Path> classPath;
        try {
            // a temporary folder is private (700); a kernelspec must be readable by whoever runs Jupyter
            Files.setPosixFilePermissions(staging, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            classPath = copyClassPath(staging.resolve(LIB)).stream().map(p -> target.resolve(staging.relativize(p))).toList();
            Files.writeString(staging.resolve("kernel.json"), kernelJson(classPath, null), StandardCharsets.UTF_8);
            writeLogo(staging.resolve("logo-32x32.png"), 32);
            writeLogo(staging.resolve("logo-64x64.png"), 64);
            if (Files.exists(target)) deleteTree(target);
            moveAtomically(staging, target);
        } finally {
            if (Files.exists(staging)) deleteTree(staging);
        }
        if (classDataArchive && writeClassDataArchive(classPath, target.resolve(ARCHIVE))) {
            Path json = Files.createTempFile(target, ".kernel-", ".json");
            Files.writeString(json, kernelJson(classPath, target.resolve(ARCHIVE)), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(json, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            moveAtomically(json, target.resolve("kernel.json"));
        }
        return target;
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Copies each entry of the installer's class path into {@code lib} (jars by name, class folders
     * whole) and returns the copies in class-path order.
     */
    private static List<Path> copyClassPath(Path lib) throws IOException {
        Files.createDirectories(lib);
        List<Path> copies = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty()) continue;
            Path source = Path.of(entry).toAbsolutePath().normalize();
            if (!Files.exists(source)) continue;
            Path copy = lib.resolve(source.getFileName().toString());
            if (Files.exists(copy)) copy = lib.resolve(copies.size() + "-" + source.getFileName());
            if (Files.isDirectory(source)) {
                copyTree(source, copy);
            } else {
                Files.copy(source, copy, StandardCopyOption.COPY_ATTRIBUTES);
            }
            copies.add(copy);
        }
        return copies;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path copy = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(copy);
                else Files.copy(p, copy, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    String kernelJson(List<Path> classPath, Path archive) {
        JsonObject spec = new JsonObject();
        JsonArray argv = new JsonArray();
        argv(argv, classPath, archive);
        spec.add("argv", argv);
        spec.addProperty("display_name", "Java (jlora)");
        spec.addProperty("language", "java");
        spec.addProperty("interrupt_mode", interruptMode == InterruptMode.SIGNAL ? "signal" : "message");
        JsonObject env = new JsonObject();
        // idle OpenMP workers sleep instead of spinning: on shared cores spinning made libtorch ops 3-5x slower
        env.addProperty("OMP_WAIT_POLICY", "PASSIVE");
        // libtorch's tensors of 2 MiB or more on transparent huge pages (one fault per 2 MiB)
        env.addProperty("THP_MEM_ALLOC_ENABLE", "1");
        // the same as bin/lib/jvm-env.sh gives bin/jlora and bin/jlora-shell
        Tcmalloc.preload(System.getenv(), Tcmalloc.folders(System.getProperty("os.arch")))
                .ifPresent(preload -> env.addProperty("LD_PRELOAD", preload));
        spec.add("env", env);
        JsonObject metadata = new JsonObject();
        metadata.addProperty("debugger", false);
        spec.add("metadata", metadata);
        return new GsonBuilder().setPrettyPrinting().create().toJson(spec) + "\n";
    }

    private void argv(JsonArray argv, List<Path> classPath, Path archive) {
        argv.add(java());
        for (String option : jvmOptions()) argv.add(option);
        if (archive != null) {
            argv.add("-XX:SharedArchiveFile=" + archive);
            argv.add("-Xlog:cds=off,cds+dynamic=off"); // a stale archive (jars rebuilt) is skipped quietly
        }
        argv.add("-cp");
        argv.add(joined(classPath));
        argv.add("io.jlora.kernel.KernelMain");
        argv.add("{connection_file}");
    }

    /** JVM flags the kernel needs on the Java that runs this installer. */
    List<String> jvmOptions() {
        List<String> options = new ArrayList<>();
        if (Runtime.version().feature() >= 22) options.add("--enable-native-access=ALL-UNNAMED");
        options.add("-Dai.djl.offline=true");
        options.add("-Djava.awt.headless=true");
        options.addAll(extraJvmOptions);
        return options;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts the kernel's JVM once in warm-up mode with -XX:ArchiveClassesAtExit: the classes a kernel
     * start loads (JShell's compiler above all) then come from a class-data-sharing archive, which
     * roughly halves the time to the first cell. A failure only costs that speed-up.
     */
    private boolean writeClassDataArchive(List<Path> classPath, Path archive) {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions());
        command.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off,cds+dynamic=off",
                "-cp", joined(classPath), "io.jlora.kernel.KernelMain", "--warm-up"));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            boolean done = process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS);
            if (!done) process.destroyForcibly();
            return done && process.exitValue() == 0 && Files.size(archive) > 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String joined(List<Path> classPath) {
        return String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList());
    }

    private static void writeLogo(Path file, int size) throws IOException {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new Color(0xE7, 0x6F, 0x00));
        g.fillRoundRect(0, 0, size, size, size / 4, size / 4);
        g.setColor(Color.WHITE);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size / 2));
        String text = "jL";
        int width = g.getFontMetrics().stringWidth(text);
        g.drawString(text, (size - width) / 2, size / 2 + g.getFontMetrics().getAscent() / 3);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
