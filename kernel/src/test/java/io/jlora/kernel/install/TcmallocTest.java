package io.jlora.kernel.install;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TcmallocTest {
    @TempDir
    Path tmp;

    @Test
    void theFirstFolderHoldingTheLibraryWinsAndAUsersPreloadFollows() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path lib64 = Files.createDirectories(tmp.resolve("lib64"));
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Files.createFile(lib64.resolve(Tcmalloc.LIBRARY));
        Files.createFile(lib.resolve(Tcmalloc.LIBRARY));
        List<Path> folders = List.of(empty, lib64, lib);
        String found = lib64.resolve(Tcmalloc.LIBRARY).toString();
        assertEquals(Optional.of(found), Tcmalloc.preload(Map.of(), folders));
        assertEquals(Optional.of(found + ":/opt/x.so"), Tcmalloc.preload(Map.of("LD_PRELOAD", "/opt/x.so"), folders));
    }

    @Test
    void glibcWhenAskedOrWhenNothingIsInstalledAndAPreloadedMallocStays() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Files.createFile(lib.resolve(Tcmalloc.LIBRARY));
        assertEquals(Optional.empty(), Tcmalloc.preload(Map.of("JLORA_MALLOC", "glibc"), List.of(lib)));
        assertEquals(Optional.of("/usr/lib/libjemalloc.so.2"),
                Tcmalloc.preload(Map.of("LD_PRELOAD", "/usr/lib/libjemalloc.so.2"), List.of(lib)), "the malloc preloaded stays");
        assertEquals(Optional.empty(), Tcmalloc.preload(Map.of(), List.of(tmp.resolve("none"))));
    }

    @Test
    void foldersFollowTheMachine() {
        assertEquals(Path.of("/usr/lib/x86_64-linux-gnu"), Tcmalloc.folders("amd64").get(0));
        assertEquals(Path.of("/usr/lib/aarch64-linux-gnu"), Tcmalloc.folders("aarch64").get(0));
    }

    /** The kernelspec and the launchers (bin/lib/jvm-env.sh) preload the same library on this machine. */
    @Test
    void theLaunchersFindTheSameLibrary() throws Exception {
        Path script = Path.of("..", "bin", "lib", "jvm-env.sh").toAbsolutePath().normalize();
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "source \"$0\"; printf %s \"${LD_PRELOAD:-}\"", script.toString())
                .redirectErrorStream(true);
        pb.environment().remove("LD_PRELOAD");
        pb.environment().remove("JLORA_MALLOC");
        Process p = pb.start();
        p.getOutputStream().close();
        String shell = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), shell);
        String java = Tcmalloc.preload(Map.of(), Tcmalloc.folders(System.getProperty("os.arch"))).orElse("");
        assertEquals(java, shell);
    }
}
