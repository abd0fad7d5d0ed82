package io.jlora.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files written under a temporary name in their folder, synced, and renamed into place, so that a
 * reader (or a crash) never sees half a file where a good one was: the one way jlora replaces a
 * safetensors file or a small config.
 */
public final class AtomicFiles {

    /** Writes a file's bytes into the open temporary file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel out) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Writes {@code file} from {@code content}; on any error the temporary file is deleted and the
     * old {@code file}, if any, is left as it was.
     *
     * @throws ModelFormatException naming the file when it cannot be written
     */
    public static void write(Path file, Content content) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                content.writeTo(out);
                out.force(true);
            }
            moveIntoPlace(tmp, file);
            tmp = null;
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error matters more
                }
            }
        }
    }

    private static void moveIntoPlace(Path tmp, Path file) throws IOException {
        // temp files are created owner-only; give the result the permissions of the file it
        // replaces, or the usual rw-r--r--
        try {
            Set<PosixFilePermission> perms = Files.exists(file)
                    ? Files.getPosixFilePermissions(file)
                    : PosixFilePermissions.fromString("rw-r--r--");
            Files.setPosixFilePermissions(tmp, perms);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep its defaults
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
