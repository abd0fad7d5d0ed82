package io.jlora.io;

import io.jlora.JloraException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Replaces a whole output folder so that, whenever the process dies, the folder's name leads to
 * one complete set of files, the old one or the new one, never a mix.
 *
 * <ol>
 *   <li>{@link #begin}: finishes or undoes what an earlier, killed commit of the same folder left
 *       ({@link #recover}), then creates the staging folder {@code .NAME.jlora-new} beside it;
 *   <li>the caller writes every file into {@link #staging()};
 *   <li>{@link #commit}: flushes every file and writes the {@link FolderManifest} last, renames the
 *       existing folder (if any) to {@code .NAME.jlora-old}, renames the staging folder to NAME, then
 *       deletes the old one.
 * </ol>
 *
 * The only moment NAME does not exist is between the two renames of step 3; a reader then finds the
 * complete new set in the staging folder ({@link #readable}), and the next writer moves it into
 * place ({@link #recover}). A staging folder without a valid manifest is never read: it is what a
 * kill during step 2 leaves, and the next writer deletes it. Linux has no portable atomic exchange
 * of two folders reachable from Java, hence this two-rename protocol with a manifest to tell.
 *
 * <p>Training checkpoints ({@code checkpoint-STEP} subfolders, {@link #isCarried}) belong to the
 * output folder rather than to one version of its result, as in Hugging Face's output folders: a
 * commit carries them from the old folder into the new one, each by one rename, after the new
 * set's manifest is written (so the manifest never lists them and they are never hashed again),
 * and {@link #recover} finishes that carrying whatever moment a kill struck: every checkpoint is
 * always in exactly one of the folder, its old set or its staged set, never deleted with them.
 *
 * <p>One writer per output folder at a time: a second concurrent writer of the same folder would
 * take the first one's staging folder for the leftover of a crash.
 */
public final class FolderCommit implements AutoCloseable {

    /** Subfolders that survive the commit of their folder's result: training checkpoints. */
    private static final java.util.regex.Pattern CARRIED = java.util.regex.Pattern.compile("checkpoint-\\d+");

    private final Path out;
    private final Path staging;
    private boolean committed;

    private FolderCommit(Path out, Path staging) {
        this.out = out;
        this.staging = staging;
    }

    /** Recovers {@code out} from an earlier crash, then creates an empty staging folder for it. */
    public static FolderCommit begin(Path out) {
        Path target = out.toAbsolutePath().normalize();
        try {
            Files.createDirectories(target.getParent());
            recover(target);
            Path staging = stagingOf(target);
            deleteTree(staging);
            Files.createDirectory(staging);
            try {
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // not POSIX: its defaults
            }
            return new FolderCommit(target, staging);
        } catch (IOException e) {
            throw new JloraException("cannot create a staging folder for " + target + ": " + e.getMessage(), e);
        }
    }

    /** Where the new files go. */
    public Path staging() {
        return staging;
    }

    /** The final folder. */
    public Path out() {
        return out;
    }

    /** Flushes and lists the staged files in the manifest, then swaps the staging folder in. */
    public void commit() {
        try {
            CrashTestPoints.reach(CrashTestPoints.BEFORE_MANIFEST);
            FolderManifest.compute(staging).write(staging);
            syncFolder(staging);
            CrashTestPoints.reach(CrashTestPoints.BEFORE_SWAP);
            Path old = oldOf(out);
            boolean hadOld = Files.exists(out);
            if (hadOld) {
                deleteTree(old);
                move(out, old);
                syncFolder(out.getParent());
                CrashTestPoints.reach(CrashTestPoints.MID_SWAP);
                carry(old, staging);
            } else {
                CrashTestPoints.reach(CrashTestPoints.MID_SWAP);
            }
            move(staging, out);
            syncFolder(out.getParent());
            committed = true;
            CrashTestPoints.reach(CrashTestPoints.BEFORE_CLEANUP);
            if (hadOld) {
                deleteTree(old);
            }
        } catch (IOException e) {
            throw new JloraException("cannot move the written folder into place at " + out + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the staging folder unless committed. */
    @Override
    public void close() {
        if (!committed) {
            try {
                deleteTree(staging);
            } catch (IOException ignored) {
                // the original error matters more
            }
        }
    }

    /**
     * Puts {@code out} back into a complete state after a writer was killed: when {@code out} is
     * missing, the staging folder moves into place if its manifest verifies (by size), otherwise the
     * old folder moves back; then the leftovers go. Does nothing when there is nothing to recover.
     */
    public static void recover(Path out) {
        Path target = out.toAbsolutePath().normalize();
        Path staging = stagingOf(target);
        Path old = oldOf(target);
        try {
            if (!Files.exists(target)) {
                if (completeStaging(staging)) {
                    move(staging, target);
                } else if (Files.isDirectory(old)) {
                    move(old, target);
                }
            }
            if (Files.isDirectory(target)) {
                // checkpoints a killed commit had not carried yet, or had carried into a set that lost
                carry(old, target);
                carry(staging, target);
            }
            deleteTree(staging);
            deleteTree(old);
        } catch (IOException e) {
            throw new JloraException("cannot recover " + target + " from an interrupted write: " + e.getMessage(), e);
        }
    }

    /**
     * The folder to read for {@code out}: itself when it exists; when a writer was killed between
     * its two renames, the complete staged set (or else the old set) beside it. Reading changes
     * nothing on disk.
     */
    public static Path readable(Path out) {
        if (Files.exists(out)) {
            return out;
        }
        Path target = out.toAbsolutePath().normalize();
        if (target.getParent() == null) {
            return out;
        }
        Path staging = stagingOf(target);
        if (completeStaging(staging)) {
            return staging;
        }
        Path old = oldOf(target);
        return Files.isDirectory(old) ? old : out;
    }

    /** Whether {@code name} is a subfolder that commits carry over: a training checkpoint. */
    public static boolean isCarried(String name) {
        return CARRIED.matcher(name).matches();
    }

    /** Moves the carried subfolders of {@code from} that {@code to} lacks into {@code to}, one rename each. */
    private static void carry(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from) || from.equals(to)) {
            return;
        }
        java.util.List<Path> carried;
        try (Stream<Path> s = Files.list(from)) {
            carried = s.filter(p -> isCarried(p.getFileName().toString()) && Files.isDirectory(p)).toList();
        }
        for (Path p : carried) {
            Path dest = to.resolve(p.getFileName().toString());
            if (!Files.exists(dest)) {
                move(p, dest);
            }
        }
        syncFolder(to);
    }

    static Path stagingOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".jlora-new");
    }

    static Path oldOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".jlora-old");
    }

    private static boolean completeStaging(Path staging) {
        if (!Files.isDirectory(staging)) {
            return false;
        }
        try {
            return FolderManifest.verify(staging, FolderManifest.Check.SIZES);
        } catch (JloraException e) {
            return false;
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Makes the folder's entries (a rename) durable; a no-op where folders cannot be opened. */
    private static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some platforms cannot open a folder; the rename is still atomic, just not yet durable
        }
    }

    /** Deletes a file tree, deepest first; nothing when absent. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
