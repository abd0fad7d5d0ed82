package io.jlora.bench;

import io.jlora.io.FolderManifest;
import io.jlora.model.CausalLm;
import java.nio.file.Path;

/**
 * What the checksum manifest costs on a model folder, driven by bench/checksums/run.sh: writing it
 * (hash + flush of every file), verifying sizes only (what load does by default), verifying the
 * SHA-256 of every file (load --verify-checksums), and loading the model, for scale.
 *
 * <pre>
 *   ChecksumBench MODEL_DIR     (a folder the bench may add jlora-checksums.json to)
 * </pre>
 */
public final class ChecksumBench {

    private ChecksumBench() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long bytes = 0;
        long t = System.nanoTime();
        FolderManifest m = FolderManifest.compute(dir);
        m.write(dir);
        double write = (System.nanoTime() - t) / 1e9;
        for (FolderManifest.Entry e : m.files().values()) {
            bytes += e.size();
        }
        t = System.nanoTime();
        FolderManifest.verify(dir, FolderManifest.Check.SIZES);
        double sizes = (System.nanoTime() - t) / 1e9;
        t = System.nanoTime();
        FolderManifest.verify(dir, FolderManifest.Check.SHA256);
        double hashes = (System.nanoTime() - t) / 1e9;
        t = System.nanoTime();
        try (CausalLm lm = CausalLm.load(dir, "cpu", "float32")) {
            double load = (System.nanoTime() - t) / 1e9;
            System.out.printf("jlora: %d files, %.0f MB; write manifest %.2f s; verify sizes %.4f s; verify SHA-256 %.2f s "
                    + "(%.0f MB/s); load (with the size check) %.2f s%n", m.files().size(), bytes / 1e6, write, sizes, hashes,
                    bytes / 1e6 / hashes, load);
        }
    }
}
