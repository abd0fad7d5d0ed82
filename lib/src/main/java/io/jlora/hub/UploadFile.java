package io.jlora.hub;

import io.jlora.JloraException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A local file to push, with what the Hub asks about it before the upload: its size, its SHA-256
 * (the LFS object id) and its first 512 bytes (the preupload sample). The file is read once, in
 * chunks, so a multi-gigabyte shard costs no memory.
 *
 * @param pathInRepo where it goes in the repo, '/'-separated
 * @param local the file on disk
 * @param size its length in bytes
 * @param sha256 lowercase hex SHA-256 of its bytes
 * @param sampleBase64 its first 512 bytes, base64
 */
public record UploadFile(String pathInRepo, Path local, long size, String sha256, String sampleBase64) {

    /** Past this size a file goes through LFS even where the Hub would not say so (huggingface_hub's rule). */
    static final long LFS_THRESHOLD = 10L * 1024 * 1024;
    private static final int SAMPLE = 512;

    /** Describes {@code file}, which lies under {@code root}; its repo path is relative to root. */
    public static UploadFile of(Path root, Path file) {
        Path rel = root.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        if (rel.toString().isEmpty() || rel.startsWith("..")) {
            throw new JloraException("cannot push " + file + ": it is not inside " + root);
        }
        String pathInRepo = rel.toString().replace(rel.getFileSystem().getSeparator(), "/");
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            byte[] sample = null;
            long size = 0;
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                if (sample == null) {
                    sample = Arrays.copyOf(buf, Math.min(n, SAMPLE));
                }
                sha.update(buf, 0, n);
                size += n;
            }
            return new UploadFile(pathInRepo, file, size, HexFormat.of().formatHex(sha.digest()),
                    Base64.getEncoder().encodeToString(sample == null ? new byte[0] : sample));
        } catch (IOException e) {
            throw new JloraException("cannot read " + file + " to push it: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Whether the file goes through LFS when the Hub's preupload answer does not say: weights
     * always (the Hub's .gitattributes tracks *.safetensors), anything past 10 MB too.
     */
    boolean lfsByDefault() {
        return pathInRepo.endsWith(".safetensors") || size > LFS_THRESHOLD;
    }
}
