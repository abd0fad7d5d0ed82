package io.jlora.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The checksum manifest of a folder jlora wrote, {@value #FILE}: every other file of the folder
 * (relative path, '/'-separated) with its size in bytes and SHA-256, written last, after every
 * file it lists has been flushed to disk. A folder whose manifest is present is complete exactly
 * when every listed file exists with that size and hash; a folder without one (Hugging Face's, an
 * older jlora's) is taken as it is.
 *
 * <pre>{@code
 * {"format": "jlora-checksums", "version": 1,
 *  "files": {"config.json": {"size": 612, "sha256": "9f2c..."}, ...}}
 * }</pre>
 */
public final class FolderManifest {

    public static final String FILE = "jlora-checksums.json";
    static final String FORMAT = "jlora-checksums";

    /** How much of a folder {@link #verify} reads. */
    public enum Check {
        /** Sizes only: a stat per file, no reading. */
        SIZES,
        /** Sizes and SHA-256: reads every byte. */
        SHA256
    }

    /** One listed file. */
    public record Entry(long size, String sha256) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Entry> files;

    private FolderManifest(Map<String, Entry> files) {
        this.files = files;
    }

    /** Relative path to size and hash, in the order listed. */
    public Map<String, Entry> files() {
        return files;
    }

    /**
     * Hashes every file under {@code dir} (but a manifest) and flushes each to disk, so that the
     * manifest written next never describes data still only in the page cache.
     */
    public static FolderManifest compute(Path dir) {
        Map<String, Entry> files = new LinkedHashMap<>();
        for (Path file : listFiles(dir)) {
            String name = relative(dir, file);
            if (name.equals(FILE)) {
                continue;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.force(true);
            } catch (IOException e) {
                throw new ModelFormatException(file, null, "cannot flush to disk: " + e.getMessage(), e);
            }
            files.put(name, new Entry(size(file), sha256(file)));
        }
        return new FolderManifest(files);
    }

    /** Writes this manifest into {@code dir} under a temporary name, flushed, then renamed. */
    public void write(Path dir) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", 1);
        ObjectNode list = root.putObject("files");
        files.forEach((name, e) -> list.putObject(name).put("size", e.size()).put("sha256", e.sha256()));
        Path target = dir.resolve(FILE);
        Path tmp = dir.resolve("." + FILE + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                TensorData.writeAll(ch, java.nio.ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new ModelFormatException(target, null, "cannot write: " + e.getMessage(), e);
        }
    }

    /** The manifest of {@code dir}, or empty when it has none. A manifest that cannot be parsed is an error. */
    public static Optional<FolderManifest> read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "not valid JSON (" + e.getMessage()
                    + "); the folder's checksum manifest is damaged: delete it to load the folder unchecked");
        }
        if (root == null || !FORMAT.equals(root.path("format").asText()) || !root.path("files").isObject()) {
            throw new ModelFormatException(file, null, "not a jlora checksum manifest (expected \"format\": \""
                    + FORMAT + "\" and a \"files\" object)");
        }
        Map<String, Entry> files = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("files").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode size = e.getValue().get("size");
            JsonNode hash = e.getValue().get("sha256");
            if (size == null || !size.canConvertToLong() || hash == null || !hash.isTextual()) {
                throw new ModelFormatException(file, e.getKey(), "each file needs a numeric \"size\" and a \"sha256\" string");
            }
            if (e.getKey().contains("..") || e.getKey().startsWith("/")) {
                throw new ModelFormatException(file, e.getKey(), "a listed file must lie inside the folder");
            }
            files.put(e.getKey(), new Entry(size.asLong(), hash.asText()));
        }
        return Optional.of(new FolderManifest(files));
    }

    /**
     * Checks {@code dir} against its manifest when it has one: every listed file must exist with
     * the listed size and, for {@link Check#SHA256}, hash. Throws, naming the first file that
     * differs. Returns whether a manifest was there.
     */
    public static boolean verify(Path dir, Check check) {
        Optional<FolderManifest> manifest = read(dir);
        if (manifest.isEmpty()) {
            return false;
        }
        for (Map.Entry<String, Entry> e : manifest.get().files.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Entry want = e.getValue();
            if (!Files.isRegularFile(file)) {
                throw mismatch(file, "missing, but listed in " + FILE);
            }
            long size = size(file);
            if (size != want.size()) {
                throw mismatch(file, "is " + size + " bytes, " + FILE + " lists " + want.size());
            }
            if (check == Check.SHA256 && !sha256(file).equalsIgnoreCase(want.sha256())) {
                throw mismatch(file, "has SHA-256 " + sha256(file) + ", " + FILE + " lists " + want.sha256());
            }
        }
        return true;
    }

    private static ModelFormatException mismatch(Path file, String what) {
        return new ModelFormatException(file, null, what + ": the folder is not the complete set of files jlora "
                + "wrote (an interrupted write, or a file changed since); write it again, or delete " + FILE
                + " to load it unchecked");
    }

    /** The lowercase hex SHA-256 of a file's bytes. */
    public static String sha256(Path file) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot read its size: " + e.getMessage(), e);
        }
    }

    private static List<Path> listFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new JloraException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String relative(Path dir, Path file) {
        return dir.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }
}
