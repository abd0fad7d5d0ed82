package io.jlora.hub;

import io.jlora.JloraException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The Hugging Face cache as huggingface_hub lays it out, so that each side reuses what the other
 * downloaded: {@code models--ORG--NAME/refs/REVISION} holds a commit,
 * {@code snapshots/COMMIT/FILE} is a relative symlink to {@code blobs/ETAG} (the sha256 of an LFS
 * file, the git sha1 of any other), and a blob being downloaded is {@code blobs/ETAG.incomplete}.
 * Files appear in {@code snapshots/} only once their blob is whole.
 */
final class HubCache {

    private final Path root;

    HubCache(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path repoDir(RepoId repo) {
        return root.resolve("models--" + repo.owner() + "--" + repo.name());
    }

    /** The commit {@code id}'s revision names: itself for a commit, else what its ref file holds. */
    Optional<String> commit(HubModelId id) {
        if (id.isCommit()) {
            return Optional.of(id.revision());
        }
        Path ref = repoDir(id.repo()).resolve("refs").resolve(id.revision());
        try {
            return Files.isRegularFile(ref) ? Optional.of(Files.readString(ref, StandardCharsets.UTF_8).strip()) : Optional.empty();
        } catch (IOException e) {
            throw new JloraException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    Path snapshot(RepoId repo, String commit) {
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    Path blob(RepoId repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    Path incomplete(RepoId repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    /** Where huggingface_hub keeps its lock files; we lock the same names (see {@link HubDownload}). */
    Path lock(RepoId repo, String etag) {
        return root.resolve(".locks").resolve(repoDir(repo).getFileName()).resolve(etag + ".lock");
    }

    /** Points refs/REVISION at {@code commit} (written under a temporary name, then renamed). */
    void writeRef(HubModelId id, String commit) {
        if (id.isCommit()) {
            return;
        }
        Path ref = repoDir(id.repo()).resolve("refs").resolve(id.revision());
        try {
            Files.createDirectories(ref.getParent());
            Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            move(tmp, ref);
        } catch (IOException e) {
            throw new JloraException("cannot write " + ref + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes snapshots/COMMIT/FILE a relative symlink to the whole blob {@code etag} (replacing a
     * link that was there, broken or not); where the file system has no symlinks, a copy.
     */
    Path link(RepoId repo, String commit, String file, String etag) {
        Path target = snapshot(repo, commit).resolve(file);
        Path blob = blob(repo, etag);
        try {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("." + target.getFileName() + ".jlora-link");
            Files.deleteIfExists(tmp);
            try {
                Files.createSymbolicLink(tmp, target.getParent().relativize(blob));
            } catch (UnsupportedOperationException | FileSystemException noLinks) {
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            move(tmp, target);
            return target;
        } catch (IOException e) {
            throw new JloraException("cannot link " + target + " to " + blob + ": " + e.getMessage(), e);
        }
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
