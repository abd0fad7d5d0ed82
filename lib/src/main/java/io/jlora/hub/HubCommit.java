package io.jlora.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One commit's body for {@code POST /api/models/{repo}/commit/{revision}}: NDJSON, a header line
 * with the message, then one line per file. A regular file travels inline as base64; an LFS file
 * is named by its SHA-256, its bytes having been uploaded before.
 */
final class HubCommit {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String summary;
    private final String description;
    private final List<UploadFile> regular = new ArrayList<>();
    private final List<UploadFile> lfs = new ArrayList<>();

    HubCommit(String summary, String description) {
        this.summary = summary;
        this.description = description;
    }

    /** A file whose content goes inline. */
    HubCommit addRegular(UploadFile file) {
        regular.add(file);
        return this;
    }

    /** A file already uploaded through LFS. */
    HubCommit addLfs(UploadFile file) {
        lfs.add(file);
        return this;
    }

    int fileCount() {
        return regular.size() + lfs.size();
    }

    /**
     * The NDJSON body. Inline files are read now; they are the small files by the preupload rule
     * (config, tokenizer), so the body stays a few megabytes while the weights go by LFS.
     */
    byte[] toNdjson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ObjectNode header = JSON.createObjectNode().put("key", "header");
        header.putObject("value").put("summary", summary).put("description", description);
        line(out, header);
        for (UploadFile f : regular) {
            ObjectNode file = JSON.createObjectNode().put("key", "file");
            file.putObject("value").put("path", f.pathInRepo()).put("content", base64(f)).put("encoding", "base64");
            line(out, file);
        }
        for (UploadFile f : lfs) {
            ObjectNode file = JSON.createObjectNode().put("key", "lfsFile");
            file.putObject("value").put("path", f.pathInRepo()).put("algo", "sha256").put("oid", f.sha256())
                    .put("size", f.size());
            line(out, file);
        }
        return out.toByteArray();
    }

    private static String base64(UploadFile f) {
        try {
            return Base64.getEncoder().encodeToString(Files.readAllBytes(f.local()));
        } catch (IOException e) {
            throw new JloraException("cannot read " + f.local() + " to push it: " + e.getMessage(), e);
        }
    }

    private static void line(ByteArrayOutputStream out, ObjectNode node) {
        try {
            out.write(JSON.writeValueAsBytes(node));
            out.write('\n');
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a commit line", e);
        }
    }
}
