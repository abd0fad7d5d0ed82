package io.jlora.lora;

import io.jlora.JloraException;
import io.jlora.io.FolderCommit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A model or adapter folder written whole or not at all, through a {@link FolderCommit} (files
 * staged beside the output, a checksum manifest written last, then the staged folder renamed into
 * place). Before anything is written the output is checked: it must not be (or contain) an input
 * folder, and an existing non-empty folder is replaced only when overwriting was asked for.
 */
final class OutputFolder implements AutoCloseable {

    private final FolderCommit commit;

    private OutputFolder(FolderCommit commit) {
        this.commit = commit;
    }

    /**
     * Checks {@code out} against {@code inputs} and {@code overwrite}, then creates the staging
     * folder. Close it to delete the staging folder when {@link #commit()} was not reached.
     */
    static OutputFolder open(Path out, boolean overwrite, Path... inputs) {
        Path target = out.toAbsolutePath().normalize();
        check(target, overwrite, inputs);
        return new OutputFolder(FolderCommit.begin(target));
    }

    /**
     * Refusals, before anything is written; first finishes or undoes an earlier write of {@code
     * target} that was killed midway, so that the checks see what a reader would.
     */
    static void check(Path target, boolean overwrite, Path... inputs) {
        FolderCommit.recover(target);
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
            if (!holdsOnlyCheckpoints(target) && !overwrite) {
                throw new JloraException("the output folder " + target + " exists and is not empty; "
                        + "choose another folder or ask to overwrite it");
            }
        }
    }

    /** Where to write the files now. */
    Path temp() {
        return commit.staging();
    }

    /** The final folder. */
    Path out() {
        return commit.out();
    }

    /** Moves the written folder into place, replacing an existing one. */
    void commit() {
        commit.commit();
    }

    @Override
    public void close() {
        commit.close();
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs;
        }
    }

    /**
     * Whether {@code dir} is empty but for training checkpoints (and the hidden leftovers of their
     * writes): a training run's output folder before its result is saved. Commits carry the
     * checkpoints over ({@link FolderCommit}), so writing the result there replaces nothing.
     */
    static boolean holdsOnlyCheckpoints(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .allMatch(n -> FolderCommit.isCarried(n) || n.matches("\\.checkpoint-\\d+\\.jlora-\\w+"));
        } catch (IOException e) {
            throw new JloraException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
