package io.jlora.hub;

import io.jlora.JloraException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.logging.Logger;

/** A scratch folder that is deleted, with everything in it, on close. */
final class TempFolder implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TempFolder.class.getName());

    private final Path path;

    private TempFolder(Path path) {
        this.path = path;
    }

    /** A new empty folder under {@code parent}, named {@code prefix...}. */
    static TempFolder create(Path parent, String prefix) {
        try {
            Files.createDirectories(parent);
            return new TempFolder(Files.createTempDirectory(parent, prefix));
        } catch (IOException e) {
            throw new JloraException("cannot create a temporary folder under " + parent + ": " + e.getMessage(), e);
        }
    }

    Path path() {
        return path;
    }

    /** Deletes the folder; a failure is logged, not thrown, so that it never hides the error that ended the work. */
    @Override
    public void close() {
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warning(() -> "could not delete the temporary folder " + path + ": " + e.getMessage());
        }
    }
}
