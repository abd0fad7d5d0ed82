package io.jlora.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback Hugging Face Hub for tests: two servers on 127.0.0.1 (the Hub, and a separate storage
 * origin that takes the LFS PUTs, as S3 does for the real Hub). Every request is recorded and
 * checked against the API's shapes; what does not conform lands in {@link #problems()} and gets a
 * 400, so a test asserts that list is empty. Commits are applied to {@link #repoFiles()}, which a
 * test compares with the local files.
 *
 * <p>Error answers echo the Authorization header they received, as a careless server might, so
 * that tests prove the client masks the token out of what the server says.
 */
final class FakeHub implements AutoCloseable {

    /** One recorded request. */
    record Call(String method, String path, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        String route() {
            return method + " " + path;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REPO = Pattern.compile("((?:[A-Za-z0-9._-]+/)?[A-Za-z0-9._-]+)");
    private static final Pattern CREATE = Pattern.compile("/api/repos/create");
    private static final Pattern PREUPLOAD = Pattern.compile("/api/models/" + REPO + "/preupload/main");
    private static final Pattern COMMIT = Pattern.compile("/api/models/" + REPO + "/commit/main");
    private static final Pattern BATCH = Pattern.compile("/" + REPO + "\\.git/info/lfs/objects/batch");
    private static final Pattern VERIFY = Pattern.compile("/" + REPO + "\\.git/info/lfs/objects/verify");
    private static final Pattern STORE = Pattern.compile("/storage/([0-9a-f]{64})");
    static final String LFS_JSON = "application/vnd.git-lfs+json";

    private final String token;
    private final HttpServer hub;
    private final HttpServer storage;
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, byte[]> lfsObjects = new ConcurrentHashMap<>();
    private final Map<String, byte[]> repoFiles = new ConcurrentHashMap<>();
    private final Set<String> repos = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> failures = new HashMap<>();
    private final Set<String> ignored = ConcurrentHashMap.newKeySet();

    /** A Hub that accepts only {@code token}. Close it to stop both servers. */
    FakeHub(String token) throws IOException {
        this.token = token;
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(loopback, 0);
        storage = HttpServer.create(loopback, 0);
        hub.createContext("/", this::hub);
        storage.createContext("/", this::storage);
        hub.start();
        storage.start();
    }

    String url() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    private String storageUrl() {
        return "http://127.0.0.1:" + storage.getAddress().getPort();
    }

    /** The repo exists before the push. */
    FakeHub withRepo(String repoId) {
        repos.add(repoId);
        return this;
    }

    /** The Hub has these bytes already (an earlier push). */
    FakeHub withLfsObject(byte[] bytes) {
        lfsObjects.put(sha256(bytes), bytes.clone());
        return this;
    }

    /** Requests to this route ("create", "preupload", "batch", "put", "verify", "commit") get {@code status}. */
    FakeHub failing(String route, int status) {
        failures.put(route, status);
        return this;
    }

    /** The preupload answer marks this path shouldIgnore. */
    FakeHub ignoring(String path) {
        ignored.add(path);
        return this;
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    List<String> routes() {
        return calls().stream().map(Call::route).toList();
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    /** Path in repo to bytes, as committed. */
    Map<String, byte[]> repoFiles() {
        return Map.copyOf(repoFiles);
    }

    Set<String> repos() {
        return Set.copyOf(repos);
    }

    @Override
    public void close() {
        hub.stop(0);
        storage.stop(0);
    }

    // ---------------------------------------------------------------- the Hub

    private void hub(HttpExchange ex) throws IOException {
        Call call = record(ex);
        String path = call.path();
        try {
            Matcher m;
            if (call.method().equals("POST") && CREATE.matcher(path).matches()) {
                if (authorized(ex, call, "create")) create(ex, call);
            } else if (call.method().equals("POST") && (m = PREUPLOAD.matcher(path)).matches()) {
                if (authorized(ex, call, "preupload")) preupload(ex, call, m.group(1));
            } else if (call.method().equals("POST") && (m = BATCH.matcher(path)).matches()) {
                if (authorized(ex, call, "batch")) batch(ex, call, m.group(1));
            } else if (call.method().equals("POST") && (m = VERIFY.matcher(path)).matches()) {
                if (authorized(ex, call, "verify")) verify(ex, call);
            } else if (call.method().equals("POST") && (m = COMMIT.matcher(path)).matches()) {
                if (authorized(ex, call, "commit")) commit(ex, call, m.group(1));
            } else {
                reject(ex, 404, "no route " + call.route());
            }
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            reject(ex, 400, call.route() + ": " + e);
        }
    }

    /** Checks the token (401 otherwise) and the configured failure of the route. */
    private boolean authorized(HttpExchange ex, Call call, String route) throws IOException {
        String auth = call.header("Authorization");
        if (!("Bearer " + token).equals(auth)) {
            answer(ex, 401, JSON.createObjectNode().put("error", "Invalid credentials in Authorization header: " + auth));
            return false;
        }
        Integer status = failures.get(route);
        if (status != null) {
            answer(ex, status, JSON.createObjectNode().put("error", "failing " + route + " as asked; you sent " + auth));
            return false;
        }
        return true;
    }

    private void create(HttpExchange ex, Call call) throws IOException {
        expect(call, "Content-Type", "application/json");
        JsonNode body = JSON.readTree(call.body());
        String name = body.path("name").asText(null);
        check(name != null && !name.contains("/"), "create: name must be the bare repo name, got " + name);
        check("model".equals(body.path("type").asText()), "create: type must be model, got " + body.path("type"));
        check(body.path("private").isBoolean() && !body.path("private").asBoolean(), "create: private must be false");
        String org = body.path("organization").asText(null);
        String id = org == null ? name : org + "/" + name;
        if (!repos.add(id)) {
            answer(ex, 409, JSON.createObjectNode().put("error", "You already created this model repo")
                    .put("url", url() + "/" + id));
            return;
        }
        answer(ex, 200, JSON.createObjectNode().put("url", url() + "/" + id).put("name", id));
    }

    private void preupload(HttpExchange ex, Call call, String repo) throws IOException {
        expect(call, "Content-Type", "application/json");
        checkRepo(repo);
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode files = answer.putArray("files");
        for (JsonNode f : JSON.readTree(call.body()).path("files")) {
            String path = f.path("path").asText(null);
            check(path != null && !path.startsWith("/"), "preupload: bad path " + path);
            check(f.path("size").canConvertToLong(), "preupload: size missing for " + path);
            byte[] sample = Base64.getDecoder().decode(f.path("sample").asText(""));
            check(sample.length <= 512 && sample.length == Math.min(512, f.path("size").asLong()),
                    "preupload: sample of " + path + " has " + sample.length + " bytes");
            boolean lfs = path.endsWith(".safetensors") || f.path("size").asLong() > 10L * 1024 * 1024;
            files.addObject().put("path", path).put("uploadMode", lfs ? "lfs" : "regular")
                    .put("shouldIgnore", ignored.contains(path));
        }
        answer(ex, 200, answer);
    }

    private void batch(HttpExchange ex, Call call, String repo) throws IOException {
        checkRepo(repo);
        expect(call, "Accept", LFS_JSON);
        expect(call, "Content-Type", LFS_JSON);
        JsonNode body = JSON.readTree(call.body());
        check("upload".equals(body.path("operation").asText()), "batch: operation must be upload");
        check(body.path("transfers").toString().contains("\"basic\""), "batch: transfers must offer basic");
        check("sha256".equals(body.path("hash_algo").asText("sha256")), "batch: hash_algo must be sha256");
        ObjectNode answer = JSON.createObjectNode().put("transfer", "basic");
        ArrayNode objects = answer.putArray("objects");
        for (JsonNode o : body.path("objects")) {
            String oid = o.path("oid").asText();
            check(oid.matches("[0-9a-f]{64}"), "batch: oid is not sha256 hex: " + oid);
            ObjectNode out = objects.addObject().put("oid", oid).put("size", o.path("size").asLong());
            byte[] known = lfsObjects.get(oid);
            if (known != null) {
                check(known.length == o.path("size").asLong(), "batch: size of known object " + oid + " differs");
                continue;
            }
            ObjectNode actions = out.putObject("actions");
            actions.putObject("upload").put("href", storageUrl() + "/storage/" + oid + "?X-Signature=s3cret")
                    .putObject("header").put("X-Upload-Id", "up-" + oid.substring(0, 8));
            actions.putObject("verify").put("href", url() + "/" + repo + ".git/info/lfs/objects/verify")
                    .putObject("header").put("X-Verify-Id", "ver-" + oid.substring(0, 8));
        }
        answer(ex, 200, answer, LFS_JSON);
    }

    private void verify(HttpExchange ex, Call call) throws IOException {
        expect(call, "Content-Type", LFS_JSON);
        JsonNode body = JSON.readTree(call.body());
        String oid = body.path("oid").asText();
        expect(call, "X-Verify-Id", "ver-" + oid.substring(0, Math.min(8, oid.length())));
        byte[] stored = lfsObjects.get(oid);
        check(stored != null, "verify: object " + oid + " was never uploaded");
        check(stored == null || stored.length == body.path("size").asLong(), "verify: size of " + oid + " differs");
        answer(ex, 200, JSON.createObjectNode().put("message", "ok"), LFS_JSON);
    }

    private void commit(HttpExchange ex, Call call, String repo) throws IOException {
        checkRepo(repo);
        expect(call, "Content-Type", "application/x-ndjson");
        String[] lines = new String(call.body(), StandardCharsets.UTF_8).split("\n");
        JsonNode header = JSON.readTree(lines[0]);
        check("header".equals(header.path("key").asText()), "commit: the first line must be the header");
        check(header.path("value").path("summary").isTextual(), "commit: header has no summary");
        check(header.path("value").path("description").isTextual(), "commit: header has no description");
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            JsonNode line = JSON.readTree(lines[i]);
            JsonNode v = line.path("value");
            String path = v.path("path").asText();
            switch (line.path("key").asText()) {
                case "file" -> {
                    check("base64".equals(v.path("encoding").asText()), "commit: " + path + " is not base64");
                    files.put(path, Base64.getDecoder().decode(v.path("content").asText()));
                }
                case "lfsFile" -> {
                    check("sha256".equals(v.path("algo").asText()), "commit: " + path + " algo is not sha256");
                    byte[] stored = lfsObjects.get(v.path("oid").asText());
                    check(stored != null, "commit: " + path + " names an LFS object never uploaded");
                    check(stored != null && stored.length == v.path("size").asLong(), "commit: size of " + path + " differs");
                    files.put(path, stored);
                }
                default -> check(false, "commit: unknown line key " + line.path("key"));
            }
        }
        if (!problems.isEmpty()) {
            reject(ex, 400, "commit refused: earlier problems");
            return;
        }
        repoFiles.putAll(files);
        answer(ex, 200, JSON.createObjectNode().put("commitUrl", url() + "/" + repo + "/commit/0123abcd")
                .put("commitOid", "0123abcd"));
    }

    // ---------------------------------------------------------------- storage

    private void storage(HttpExchange ex) throws IOException {
        Call call = record(ex);
        Matcher m = STORE.matcher(call.path());
        if (!call.method().equals("PUT") || !m.matches()) {
            reject(ex, 404, "storage: no route " + call.route());
            return;
        }
        String oid = m.group(1);
        check(call.header("Authorization") == null, "storage: the Hub token was sent to the storage origin");
        check(("X-Signature=s3cret").equals(ex.getRequestURI().getRawQuery()), "storage: the signed query was lost");
        expect(call, "X-Upload-Id", "up-" + oid.substring(0, 8));
        check(sha256(call.body()).equals(oid), "storage: PUT bytes do not hash to " + oid);
        Integer status = failures.get("put");
        if (status != null) {
            answer(ex, status, JSON.createObjectNode().put("error", "storage refuses"));
            return;
        }
        lfsObjects.put(oid, call.body());
        answer(ex, 200, JSON.createObjectNode());
    }

    // ---------------------------------------------------------------- helpers

    private Call record(HttpExchange ex) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
        Call call = new Call(ex.getRequestMethod(), ex.getRequestURI().getPath(), headers,
                ex.getRequestBody().readAllBytes());
        calls.add(call);
        return call;
    }

    private void checkRepo(String repo) {
        check(repos.contains(repo), "request for repo " + repo + " that was never created");
    }

    private void expect(Call call, String header, String value) {
        String got = call.header(header);
        check(got != null && got.startsWith(value), call.route() + ": " + header + " is " + got + ", not " + value);
    }

    private void check(boolean ok, String problem) {
        if (!ok) {
            problems.add(problem);
        }
    }

    private void reject(HttpExchange ex, int status, String problem) throws IOException {
        problems.add(problem);
        answer(ex, status, JSON.createObjectNode().put("error", problem));
    }

    private static void answer(HttpExchange ex, int status, JsonNode body) throws IOException {
        answer(ex, status, body, "application/json");
    }

    private static void answer(HttpExchange ex, int status, JsonNode body, String type) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
