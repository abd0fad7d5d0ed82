package io.jlora.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileNotFoundException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Uploads files' bytes by the Git LFS batch API, the way the Hub takes large files: one batch
 * request announces every object (SHA-256 and size); the answer gives, per object, an upload
 * address and maybe a verify address, or no action when the Hub already has those bytes. Only the
 * "basic" transfer (one PUT per object) is offered; the merge tool's shards stay under 5 GB, the
 * limit of a single PUT to the Hub's storage.
 *
 * @param http the push's HTTP layer
 * @param repo the repository the files go to
 * @param revision the branch the batch request names
 */
record LfsUpload(HubHttp http, RepoId repo, String revision) {

    private static final Logger LOG = Logger.getLogger(LfsUpload.class.getName());
    static final String LFS_JSON = "application/vnd.git-lfs+json";
    /** Headers that Java's HTTP client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

    /** Uploads every file whose bytes the Hub does not have yet. */
    void upload(List<UploadFile> files) {
        if (files.isEmpty()) {
            return;
        }
        // identical files are one LFS object
        Map<String, UploadFile> byOid = new LinkedHashMap<>();
        files.forEach(f -> byOid.putIfAbsent(f.sha256(), f));
        String step = "requesting the LFS upload of " + byOid.size() + " file(s) to " + repo;
        List<Map<String, Object>> objects = new ArrayList<>();
        byOid.values().forEach(f -> objects.add(Map.of("oid", f.sha256(), "size", f.size())));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("operation", "upload");
        body.put("transfers", List.of("basic"));
        body.put("objects", objects);
        body.put("hash_algo", "sha256");
        body.put("ref", Map.of("name", revision));
        URI batch = http.endpoint().resolve("/" + repo + ".git/info/lfs/objects/batch");
        JsonNode answer = http.json(step, http.send(step,
                http.postJson(batch, body, LFS_JSON, Map.of("Accept", LFS_JSON))));
        Map<String, JsonNode> answered = new LinkedHashMap<>();
        for (JsonNode o : answer.path("objects")) {
            answered.put(o.path("oid").asText(), o);
        }
        for (UploadFile f : byOid.values()) {
            JsonNode o = answered.get(f.sha256());
            if (o == null) {
                throw new HubException("push to hub: " + step + " failed: the answer has no entry for "
                        + f.pathInRepo() + " (oid " + f.sha256() + ")", 0, null);
            }
            transfer(f, o);
        }
    }

    private void transfer(UploadFile f, JsonNode object) {
        JsonNode error = object.path("error");
        if (!error.isMissingNode()) {
            throw new HubException(http.token().mask("push to hub: uploading " + f.pathInRepo() + " failed: "
                    + error.path("code").asInt() + " " + error.path("message").asText("refused by the LFS server")),
                    error.path("code").asInt(), null);
        }
        JsonNode upload = object.path("actions").path("upload");
        if (upload.isMissingNode()) {
            LOG.info(() -> f.pathInRepo() + " is already on the Hub; not uploading it again");
            return;
        }
        if (upload.path("header").has("chunk_size")) {
            throw new HubException("push to hub: uploading " + f.pathInRepo() + " failed: the Hub asked for a "
                    + "multipart upload, which jlora does not do; keep shards under 5 GB", 0, null);
        }
        LOG.info(() -> "uploading " + f.pathInRepo() + " (" + f.size() + " bytes)");
        HttpRequest.Builder put;
        try {
            put = http.builder(href(f, upload), headers(upload))
                    .PUT(HttpRequest.BodyPublishers.ofFile(f.local()));
        } catch (FileNotFoundException e) {
            throw new HubException("push to hub: uploading " + f.pathInRepo() + " failed: " + f.local()
                    + " disappeared", 0, e);
        }
        http.send("uploading " + f.pathInRepo(), put.build());
        JsonNode verify = object.path("actions").path("verify");
        if (!verify.isMissingNode()) {
            Map<String, String> headers = headers(verify);
            headers.putIfAbsent("Accept", LFS_JSON);
            http.send("verifying the upload of " + f.pathInRepo(), http.postJson(href(f, verify),
                    Map.of("oid", f.sha256(), "size", f.size()), LFS_JSON, headers));
        }
    }

    private static URI href(UploadFile f, JsonNode action) {
        String href = action.path("href").asText("");
        try {
            URI uri = URI.create(href);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (IllegalArgumentException bad) {
            // reported below
        }
        // the address may hold a storage signature: not quoted
        throw new HubException("push to hub: uploading " + f.pathInRepo()
                + " failed: the LFS server gave no usable http(s) address", 0, null);
    }

    /** The headers the LFS server asked for with an action, less those Java's client sets itself. */
    private static Map<String, String> headers(JsonNode action) {
        Map<String, String> out = new LinkedHashMap<>();
        action.path("header").fields().forEachRemaining(e -> {
            if (!RESTRICTED.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                out.put(e.getKey(), e.getValue().asText());
            }
        });
        return out;
    }
}
