package io.jlora.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** One fresh folder per fuzz input, removed after the try, so that inputs never see each other's files. */
final class Scratch {

    private static final Path ROOT = create();
    private static final AtomicLong NEXT = new AtomicLong();

    private Scratch() {}

    static Path newFolder() {
        try {
            return Files.createDirectory(ROOT.resolve("in" + NEXT.incrementAndGet()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A read-only seed is linked, not copied: the readers never write into a model folder. */
    static void link(Path file, Path seed) {
        try {
            Files.createSymbolicLink(file, seed.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path folder) {
        try (Stream<Path> s = Files.walk(folder)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover in the temporary folder is harmless
        }
    }

    private static Path create() {
        try {
            Path root = Files.createTempDirectory("jlora-fuzz");
            root.toFile().deleteOnExit();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
