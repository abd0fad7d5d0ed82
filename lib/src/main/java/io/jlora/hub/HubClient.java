package io.jlora.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.JloraException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The Hub's HTTP API, as far as pushing a model folder needs it: create the repo, learn each
 * file's upload mode, upload the LFS files, commit all files in one commit on {@code main}.
 */
public final class HubClient {

    private static final Logger LOG = Logger.getLogger(HubClient.class.getName());
    private static final String REVISION = "main";

    private final HubHttp http;

    HubClient(HubEndpoint endpoint, HubToken token, HttpClient client) {
        this.http = new HubHttp(client, endpoint, token);
    }

    public static HubClient create(HubEndpoint endpoint, HubToken token) {
        return new HubClient(endpoint, token, HubHttp.defaultClient());
    }

    /** The endpoint from {@code HF_ENDPOINT}, the token given or else {@code HF_TOKEN}. */
    public static HubClient fromEnvironment(String token) {
        return create(HubEndpoint.fromEnvironment(System.getenv()), HubToken.resolve(token, System.getenv()));
    }

    public String repoUrl(RepoId repo) {
        return http.endpoint().repoUrl(repo);
    }

    /** Creates a public model repo; one that already exists (409) is fine, as with exist_ok. */
    public void createRepo(RepoId repo) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", repo.name());
        if (repo.owner() != null) {
            body.put("organization", repo.owner());
        }
        body.put("type", "model");
        body.put("private", false);
        HubHttp.Reply reply = http.send("creating repo " + repo, http.postJson("/api/repos/create", body), 409);
        LOG.info(() -> reply.status() == 409 ? repo + " exists already" : "created " + repoUrl(repo));
    }

    /**
     * Pushes {@code files} (under {@code folder}) to {@code repo} in one commit: creates the repo,
     * uploads what goes by LFS, then commits.
     */
    public PushResult push(RepoId repo, Path folder, List<Path> files, String summary, String description) {
        if (files.isEmpty()) {
            throw new JloraException("push to hub: nothing to push to " + repo);
        }
        List<UploadFile> uploads = new ArrayList<>();
        for (Path f : files) {
            uploads.add(UploadFile.of(folder, f));
        }
        createRepo(repo);
        Map<String, Mode> modes = uploadModes(repo, uploads);
        HubCommit commit = new HubCommit(summary, description);
        List<UploadFile> lfs = new ArrayList<>();
        List<String> committed = new ArrayList<>();
        for (UploadFile f : uploads) {
            Mode mode = modes.getOrDefault(f.pathInRepo(), f.lfsByDefault() ? Mode.LFS : Mode.REGULAR);
            switch (mode) {
                case IGNORED -> LOG.info(() -> f.pathInRepo() + " is ignored by the repo's .gitignore; not pushed");
                case LFS -> {
                    lfs.add(f);
                    commit.addLfs(f);
                }
                case REGULAR -> commit.addRegular(f);
            }
            if (mode != Mode.IGNORED) {
                committed.add(f.pathInRepo());
            }
        }
        new LfsUpload(http, repo, REVISION).upload(lfs);
        String commitUrl = commit(repo, commit);
        LOG.info(() -> "pushed " + committed.size() + " file(s) to " + repoUrl(repo));
        return new PushResult(repo, repoUrl(repo), committed, commitUrl);
    }

    /** How a file travels, by the Hub's preupload answer. */
    enum Mode { REGULAR, LFS, IGNORED }

    /**
     * Asks the Hub how each file must travel. The Hub decides by the repo's .gitattributes and
     * the file's size and sample; any mode but "regular" is taken as LFS, which can carry any
     * file. A file the answer leaves out follows {@link UploadFile#lfsByDefault()}.
     */
    Map<String, Mode> uploadModes(RepoId repo, List<UploadFile> files) {
        String step = "asking the upload mode of " + files.size() + " file(s) for " + repo;
        List<Map<String, Object>> described = new ArrayList<>();
        for (UploadFile f : files) {
            described.add(Map.of("path", f.pathInRepo(), "size", f.size(), "sample", f.sampleBase64()));
        }
        String path = "/api/models/" + repo + "/preupload/" + REVISION;
        JsonNode answer = http.json(step, http.send(step, http.postJson(path, Map.of("files", described))));
        Map<String, Mode> modes = new HashMap<>();
        for (JsonNode f : answer.path("files")) {
            Mode mode = f.path("shouldIgnore").asBoolean(false) ? Mode.IGNORED
                    : "regular".equals(f.path("uploadMode").asText()) ? Mode.REGULAR : Mode.LFS;
            modes.put(f.path("path").asText(), mode);
        }
        return modes;
    }

    /** Commits and returns the commit's page when the Hub names it. */
    private String commit(RepoId repo, HubCommit commit) {
        String step = "committing " + commit.fileCount() + " file(s) to " + repo;
        var request = http.post(http.endpoint().resolve("/api/models/" + repo + "/commit/" + REVISION),
                commit.toNdjson(), "application/x-ndjson", Map.of());
        HubHttp.Reply reply = http.send(step, request);
        if (reply.body().length == 0) {
            return null;
        }
        JsonNode answer = http.json(step, reply);
        return answer.path("commitUrl").isTextual() ? answer.path("commitUrl").asText() : null;
    }

    @Override
    public String toString() {
        return "HubClient[" + http.endpoint() + "]";
    }
}
