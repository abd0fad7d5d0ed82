package io.jlora.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback Hub that serves models for download as the real one does: the revision API
 * ({@code sha}, {@code siblings}), {@code resolve/} with HEAD metadata (ETag = git sha1 for small
 * files; for LFS files ({@code *.safetensors}, {@code *.bin}) a 302 to a storage host (localhost, where the Hub is 127.0.0.1) with
 * {@code X-Linked-Etag} = sha256 and {@code X-Linked-Size}), Range requests on the storage, and a
 * relative redirect for a renamed repo. Faults are switched on per test: a token requirement, a
 * connection dropped or stalled after some bytes, a wrong announced size, corrupted bytes.
 */
final class FakeModelHub implements AutoCloseable {

    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    /** One recorded request: which server, method, path, Range and whether a token came. */
    record Call(String server, String method, String path, String range, boolean token) {
    }

    private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern STORE = Pattern.compile("/lfs/([0-9a-f]{64})");

    private final HttpServer hub;
    private final HttpServer storage;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, Map<String, byte[]>> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private volatile String token;
    private volatile int gatedStatus;
    /** file -> [bytes after which the connection drops, how many more times] */
    private final Map<String, long[]> drops = new ConcurrentHashMap<>();
    private final Map<String, Long> stalls = new ConcurrentHashMap<>();
    private final Map<String, Long> wrongSizes = new ConcurrentHashMap<>();
    private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    private final AtomicInteger stalled = new AtomicInteger();

    FakeModelHub() throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(loopback, 0);
        storage = HttpServer.create(loopback, 0);
        hub.createContext("/", ex -> serve(ex, this::hub));
        storage.createContext("/", ex -> serve(ex, this::storage));
        hub.setExecutor(threads);
        storage.setExecutor(threads);
        hub.start();
        storage.start();
    }

    String url() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    /** Serves {@code folder}'s files as {@code repo}, at {@link #COMMIT} (and as ref main). */
    FakeModelHub withRepo(String repo, Path folder) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (var list = Files.list(folder)) {
            for (Path f : list.sorted().toList()) {
                files.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        repos.put(repo, files);
        return this;
    }

    /** Adds or replaces one file of {@code repo}. */
    FakeModelHub withFile(String repo, String name, byte[] bytes) {
        repos.get(repo).put(name, bytes);
        return this;
    }

    /** {@code old} answers with a relative redirect to {@code repo}, as the Hub does for a renamed repo. */
    FakeModelHub renamed(String old, String repo) {
        renamed.put(old, repo);
        return this;
    }

    /** Every request without this bearer token gets 401. */
    FakeModelHub requiringToken(String value) {
        token = value;
        return this;
    }

    /** resolve/ requests get {@code status} with X-Error-Code GatedRepo (the API still answers, as for a gated repo). */
    FakeModelHub gated(int status) {
        gatedStatus = status;
        return this;
    }

    /** The next {@code times} downloads of {@code file} stop after {@code after} bytes, closing the connection. */
    FakeModelHub dropping(String file, long after, int times) {
        drops.put(file, new long[] {after, times});
        return this;
    }

    /** The next download of {@code file} sends {@code after} bytes, then waits until the server closes. */
    FakeModelHub stalling(String file, long after) {
        stalls.put(file, after);
        return this;
    }

    /** HEAD announces {@code file}'s size plus {@code delta}. */
    FakeModelHub announcingWrongSize(String file, long delta) {
        wrongSizes.put(file, delta);
        return this;
    }

    /** {@code file}'s bytes arrive with one byte changed (same size). */
    FakeModelHub corrupting(String file) {
        corrupt.put(file, true);
        return this;
    }

    void healed() {
        drops.clear();
        stalls.clear();
        wrongSizes.clear();
        corrupt.clear();
        gatedStatus = 0;
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    List<Call> calls(String pathPart) {
        return calls().stream().filter(c -> c.path().contains(pathPart)).toList();
    }

    @Override
    public void close() {
        hub.stop(0);
        storage.stop(0);
        threads.shutdownNow();
    }

    static boolean isLfs(String name) {
        return name.endsWith(".safetensors") || name.endsWith(".bin");
    }

    static String sha256(byte[] bytes) {
        return digest("SHA-256", bytes);
    }

    /** Git's blob id, which the Hub sends as the ETag of a file kept in git. */
    static String gitSha1(byte[] bytes) {
        byte[] head = ("blob " + bytes.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + bytes.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(bytes, 0, all, head.length, bytes.length);
        return digest("SHA-1", all);
    }

    private static String digest(String algorithm, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Handler {
        void handle(HttpExchange ex) throws IOException, InterruptedException;
    }

    private void serve(HttpExchange ex, Handler handler) {
        try (ex) {
            handler.handle(ex);
        } catch (IOException | InterruptedException e) {
            // a dropped or stalled transfer ends here
        }
    }

    private void hub(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        calls.add(new Call("hub", ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Range"), auth != null));
        if (token != null && !("Bearer " + token).equals(auth)) {
            answer(ex, 401, Map.of("X-Error-Message", "Invalid credentials in Authorization header"), new byte[0]);
            return;
        }
        Matcher m = API.matcher(path);
        if (m.matches() && ex.getRequestMethod().equals("GET")) {
            if (renamed.containsKey(m.group(1))) {
                answer(ex, 307, Map.of("Location", path.replace("/" + m.group(1) + "/", "/" + renamed.get(m.group(1)) + "/")), new byte[0]);
                return;
            }
            Map<String, byte[]> files = repos.get(m.group(1));
            if (files == null) {
                answer(ex, 404, Map.of("X-Error-Code", "RepoNotFound"), "{\"error\":\"Repository not found\"}".getBytes());
                return;
            }
            ObjectNode root = new ObjectMapper().createObjectNode().put("id", m.group(1)).put("sha", COMMIT);
            files.keySet().forEach(f -> root.withArray("siblings").addObject().put("rfilename", f));
            answer(ex, 200, Map.of("Content-Type", "application/json"), new ObjectMapper().writeValueAsBytes(root));
            return;
        }
        m = RESOLVE.matcher(path);
        if (!m.matches()) {
            answer(ex, 404, Map.of(), new byte[0]);
            return;
        }
        String repo = m.group(1);
        if (renamed.containsKey(repo)) {
            answer(ex, 307, Map.of("Location", path.replace("/" + repo + "/", "/" + renamed.get(repo) + "/")), new byte[0]);
            return;
        }
        Map<String, byte[]> files = repos.get(repo);
        byte[] bytes = files == null ? null : files.get(m.group(3));
        if (files == null || !(m.group(2).equals("main") || m.group(2).equals(COMMIT))) {
            answer(ex, 404, Map.of("X-Error-Code", files == null ? "RepoNotFound" : "RevisionNotFound"), new byte[0]);
            return;
        }
        if (bytes == null) {
            answer(ex, 404, Map.of("X-Error-Code", "EntryNotFound"), new byte[0]);
            return;
        }
        if (gatedStatus != 0) {
            answer(ex, gatedStatus, Map.of("X-Error-Code", "GatedRepo", "X-Error-Message", "Access to model " + repo + " is restricted"), new byte[0]);
            return;
        }
        String file = m.group(3);
        long size = bytes.length + wrongSizes.getOrDefault(file, 0L);
        if (isLfs(file)) {
            String sha = sha256(bytes);
            answer(ex, 302, Map.of("Location", "http://localhost:" + storage.getAddress().getPort() + "/lfs/" + sha,
                    "X-Repo-Commit", COMMIT, "X-Linked-Etag", "\"" + sha + "\"", "X-Linked-Size", String.valueOf(size),
                    "ETag", "W/\"not-the-blob\""), new byte[0]);
            return;
        }
        Map<String, String> headers = Map.of("X-Repo-Commit", COMMIT, "ETag", "\"" + gitSha1(bytes) + "\"");
        if (ex.getRequestMethod().equals("HEAD")) {
            headers = new LinkedHashMap<>(headers);
            headers.put("Content-Length", String.valueOf(size));
            ex.getResponseHeaders().putAll(toLists(headers));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        answer(ex, 200, headers, bytes);
    }

    private void storage(HttpExchange ex) throws IOException, InterruptedException {
        String path = ex.getRequestURI().getRawPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        calls.add(new Call("storage", ex.getRequestMethod(), path, range, ex.getRequestHeaders().containsKey("Authorization")));
        Matcher m = STORE.matcher(path);
        String file = null;
        byte[] bytes = null;
        for (Map<String, byte[]> files : repos.values()) {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                if (m.matches() && isLfs(e.getKey()) && sha256(e.getValue()).equals(m.group(1))) {
                    file = e.getKey();
                    bytes = e.getValue();
                }
            }
        }
        if (bytes == null) {
            answer(ex, 404, Map.of(), new byte[0]);
            return;
        }
        if (corrupt.containsKey(file)) {
            bytes = bytes.clone();
            bytes[bytes.length / 2] ^= 1;
        }
        long from = 0;
        if (range != null) {
            Matcher r = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!r.matches()) {
                answer(ex, 400, Map.of(), new byte[0]);
                return;
            }
            from = Long.parseLong(r.group(1));
            if (from >= bytes.length) {
                answer(ex, 416, Map.of("Content-Range", "bytes */" + bytes.length), new byte[0]);
                return;
            }
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        long[] drop = drops.get(file);
        boolean dropping = drop != null && drop[1]-- > 0;
        Long stall = stalls.remove(file);
        ex.sendResponseHeaders(range != null ? 206 : 200, bytes.length - from);
        OutputStream out = ex.getResponseBody();
        long end = dropping ? Math.max(from, drop[0]) : stall != null ? stall : bytes.length;
        out.write(bytes, (int) from, (int) (Math.min(end, bytes.length) - from));
        out.flush();
        if (stall != null) {
            stalled.incrementAndGet();
            Thread.sleep(Long.MAX_VALUE);
        }
        // a drop: closing with bytes owed makes the server close the connection mid-body
    }

    private static void answer(HttpExchange ex, int status, Map<String, String> headers, byte[] body) throws IOException {
        ex.getResponseHeaders().putAll(toLists(headers));
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    private static Map<String, List<String>> toLists(Map<String, String> headers) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        headers.forEach((k, v) -> m.put(k, List.of(v)));
        return m;
    }
}
