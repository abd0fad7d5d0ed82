package io.jlora.lora;

import io.jlora.JloraException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A model folder written whole or not at all: files go to a hidden temporary sibling folder, which
 * is renamed to the output name only when everything is written. Before anything is written the
 * output is checked: it must not be (or contain) an input folder, and an existing non-empty folder
 * is replaced only when overwriting was asked for.
 */
final class OutputFolder implements AutoCloseable {

    private final Path out;
    private final Path temp;
    private boolean committed;

    private OutputFolder(Path out, Path temp) {
        this.out = out;
        this.temp = temp;
    }

    /**
     * Checks {@code out} against {@code inputs} and {@code overwrite}, then creates the temporary
     * folder. Close it to delete the temporary folder when {@link #commit()} was not reached.
     */
    static OutputFolder open(Path out, boolean overwrite, Path... inputs) {
        Path target = out.toAbsolutePath().normalize();
        check(target, overwrite, inputs);
        try {
            Path parent = target.getParent();
            Files.createDirectories(parent);
            Path temp = parent.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID().toString().substring(0, 8));
            Files.createDirectory(temp);
            try {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // not POSIX
            }
            return new OutputFolder(target, temp);
        } catch (IOException e) {
            throw new JloraException("cannot create the output folder " + out + ": " + e.getMessage(), e);
        }
    }

    /** Refusals, before anything is written. */
    static void check(Path target, boolean overwrite, Path... inputs) {
        for (Path input : inputs) {
            if (input == null) {
                continue;
            }
            Path in = real(input);
            Path t = real(target);
            if (in.equals(t)) {
                throw new JloraException("the output folder " + target + " is the input folder " + input
                        + "; choose another output folder");
            }
            if (in.startsWith(t)) {
                throw new JloraException("the output folder " + target + " contains the input folder " + input
                        + "; choose another output folder");
            }
        }
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new JloraException("the output path " + target + " exists and is not a folder");
            }
            if (!isEmpty(target) && !overwrite) {
                throw new JloraException("the output folder " + target + " exists and is not empty; "
                        + "choose another folder or ask to overwrite it");
            }
        }
    }

    /** Where to write the files now. */
    Path temp() {
        return temp;
    }

    /** The final folder. */
    Path out() {
        return out;
    }

    /** Moves the written folder into place, replacing an existing one. */
    void commit() {
        try {
            Path old = null;
            if (Files.exists(out)) {
                old = out.resolveSibling("." + out.getFileName() + ".old-" + UUID.randomUUID().toString().substring(0, 8));
                move(out, old);
            }
            move(temp, out);
            committed = true;
            if (old != null) {
                deleteRecursively(old);
            }
        } catch (IOException e) {
            throw new JloraException("cannot move the written folder into place at " + out + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (!committed) {
            try {
                deleteRecursively(temp);
            } catch (IOException ignored) {
                // the original error matters more
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs;
        }
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new JloraException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
