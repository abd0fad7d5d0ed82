package io.jlora.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hub's download API, as huggingface_hub uses it: the file list of a revision
 * ({@code GET /api/models/REPO/revision/REV}: {@code sha}, {@code siblings}); a file's metadata
 * ({@code HEAD /REPO/resolve/COMMIT/FILE}, redirects followed while they stay on the Hub's host: {@code X-Repo-Commit},
 * {@code X-Linked-Etag} or {@code ETag}, {@code X-Linked-Size} or {@code Content-Length}, and the
 * {@code Location} of an LFS file's storage); and its bytes, fetched into
 * {@code blobs/ETAG.incomplete} with every redirect followed (the token goes to the Hub's own
 * origin only), resumed with a {@code Range} request after a dropped connection or in a later run,
 * checked (size, and sha256 for LFS files, whose etag is their sha256), then renamed to the blob.
 * Every failure is a {@link HubDownloadException} naming the repo and the file.
 */
final class HubDownload {

    /** A revision's commit and file names. */
    record Listing(String commit, List<String> files) {
    }

    /** What HEAD said of a file: its blob name, size and where its bytes are. */
    record FileMeta(String file, String etag, long size, URI location) {
        boolean isLfs() {
            return SHA256.matcher(etag).matches();
        }
    }

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** huggingface_hub's http_get retries five times, resuming from what arrived. */
    private static final int ATTEMPTS = 5;
    private static final int MAX_REDIRECTS = 10;
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);

    private final HubHttp http;
    private final HubCache cache;

    HubDownload(HubHttp http, HubCache cache) {
        this.http = http;
        this.cache = cache;
    }

    /** The commit and files of {@code id}'s revision. */
    Listing listing(HubModelId id) {
        URI uri = http.endpoint().resolve("/api/models/" + id.repo() + "/revision/" + encode(id.revision()));
        HttpResponse<byte[]> r = follow(id, "the file list", uri, "GET", Map.of("Accept", "application/json"),
                HttpResponse.BodyHandlers.ofByteArray(), true);
        check(id, "the file list", r);
        try {
            JsonNode root = JSON.readTree(r.body());
            List<String> files = new ArrayList<>();
            root.path("siblings").forEach(s -> files.add(s.path("rfilename").asText()));
            String sha = root.path("sha").asText("");
            if (!sha.matches("[0-9a-f]{40}")) {
                throw new IOException("no commit sha");
            }
            return new Listing(sha, files);
        } catch (IOException e) {
            throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": the Hub's file list is not what "
                    + "the API answers (" + e.getMessage() + ") from " + HubHttp.origin(uri));
        }
    }

    /** HEAD of {@code file} at {@code commit}, as huggingface_hub's get_hf_file_metadata. */
    FileMeta head(HubModelId id, String commit, String file) {
        URI uri = resolveUri(id.repo(), commit, file);
        HttpResponse<Void> r = follow(id, file, uri, "HEAD", Map.of("Accept-Encoding", "identity"),
                HttpResponse.BodyHandlers.discarding(), true);
        check(id, file, r);
        String etag = r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag")).orElse(null);
        String size = r.headers().firstValue("X-Linked-Size").or(() -> r.headers().firstValue("Content-Length")).orElse(null);
        if (etag == null || size == null) {
            throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + file + ": the Hub's answer has no "
                    + (etag == null ? "ETag" : "size") + " header (a proxy in between?)");
        }
        etag = etag.strip().replaceFirst("^W/", "").replace("\"", "");
        if (!etag.matches("[0-9A-Za-z._-]{1,128}")) {
            throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + file + ": the Hub's ETag '" + etag + "' is not a blob name");
        }
        URI location = r.statusCode() / 100 == 3 ? r.uri().resolve(r.headers().firstValue("Location").orElseThrow()) : r.uri();
        try {
            return new FileMeta(file, etag, Long.parseLong(size.strip()), location);
        } catch (NumberFormatException e) {
            throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + file + ": the Hub's size '" + size + "' is not a number");
        }
    }

    /**
     * Makes blobs/ETAG whole: fetches what blobs/ETAG.incomplete lacks (resuming), checks it and
     * renames it. {@code progress} gets each chunk's byte count, and what was there at the start.
     */
    void fetch(HubModelId id, FileMeta meta, LongConsumer progress) {
        Path blob = cache.blob(id.repo(), meta.etag());
        Path part = cache.incomplete(id.repo(), meta.etag());
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                Files.createDirectories(part.getParent());
                long have = Files.exists(part) ? Files.size(part) : 0;
                if (have > meta.size()) {
                    Files.delete(part);
                    have = 0;
                }
                if (attempt == 1) {
                    progress.accept(have);
                }
                if (have < meta.size() || meta.size() == 0 && !Files.exists(part)) {
                    transfer(id, meta, part, have, progress);
                }
                verify(id, meta, part);
                HubCache.move(part, blob);
                return;
            } catch (IOException | UncheckedIOException e) {
                last = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
                sleep(id, meta, 200L * attempt);
            }
        }
        throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + meta.file() + ": the download failed "
                + ATTEMPTS + " times (" + describe(last) + "); what arrived is kept, run again to resume");
    }

    private void transfer(HubModelId id, FileMeta meta, Path part, long have, LongConsumer progress) throws IOException {
        Map<String, String> headers = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
        HttpResponse<InputStream> r = follow(id, meta.file(), meta.location(), "GET", headers,
                HttpResponse.BodyHandlers.ofInputStream(), false);
        try (InputStream in = r.body()) {
            if (r.statusCode() == 416 && have == meta.size()) {
                return;
            }
            check(id, meta.file(), r);
            boolean append = r.statusCode() == 206;
            if (append) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    throw new IOException("the server answered the range request with the wrong range");
                }
            } else if (have > 0) {
                progress.accept(-have); // the server sends the whole file again
            }
            try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(ByteBuffer.wrap(buffer, 0, n));
                    progress.accept(n);
                    if (Thread.currentThread().isInterrupted()) {
                        throw new HubDownloadException(HubDownloadException.Reason.INTERRUPTED, id + ": " + meta.file()
                                + ": interrupted; what arrived is kept in " + part + " and the next run resumes it");
                    }
                }
                out.force(true);
            }
        }
    }

    /** Size, then sha256 for an LFS file; a blob that fails is deleted, since resuming it cannot mend it. */
    private void verify(HubModelId id, FileMeta meta, Path part) throws IOException {
        long size = Files.size(part);
        String problem = null;
        if (size != meta.size()) {
            problem = "got " + size + " bytes, the Hub announced " + meta.size();
        } else if (meta.isLfs()) {
            String sha = sha256(part);
            if (!sha.equals(meta.etag())) {
                problem = "sha256 " + sha + " differs from the Hub's " + meta.etag();
            }
        }
        if (problem != null) {
            Files.deleteIfExists(part);
            throw new HubDownloadException(HubDownloadException.Reason.MISMATCH, id + ": " + meta.file() + ": " + problem
                    + " (the partial download was deleted)");
        }
    }

    /**
     * Sends {@code method} to {@code uri}, following redirects (with {@code metadata}, only those
     * that stay on the Hub's host, as huggingface_hub does: one to another host points at the
     * storage, and that answer carries the file's metadata). A connection failure is an IOException
     * for a GET of bytes (which retries) and a one-line error otherwise.
     */
    private <T> HttpResponse<T> follow(HubModelId id, String what, URI uri, String method, Map<String, String> headers,
            HttpResponse.BodyHandler<T> body, boolean metadata) {
        URI at = uri;
        try {
            for (int hop = 0; ; hop++) {
                HttpRequest request = http.builder(at, headers).timeout(HEADERS_TIMEOUT)
                        .method(method, HttpRequest.BodyPublishers.noBody()).build();
                HttpResponse<T> r = http.exchange(request, body);
                String location = r.headers().firstValue("Location").orElse(null);
                if (r.statusCode() / 100 != 3 || location == null || metadata && !onHubHost(at, at.resolve(location))) {
                    return r;
                }
                if (r.body() instanceof InputStream in) {
                    in.close();
                }
                if (hop == MAX_REDIRECTS) {
                    throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + what + ": more than "
                            + MAX_REDIRECTS + " redirects from " + HubHttp.origin(uri));
                }
                at = at.resolve(location);
            }
        } catch (IOException e) {
            if (!metadata) {
                throw new UncheckedIOException(e); // to fetch, which retries
            }
            throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + what + ": cannot reach "
                    + HubHttp.origin(at) + " (" + describe(e) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubDownloadException(HubDownloadException.Reason.INTERRUPTED, id + ": " + what + ": interrupted");
        } catch (IllegalArgumentException e) {
            throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + what + ": a bad redirect from "
                    + HubHttp.origin(at) + " (" + e.getMessage() + ")");
        }
    }

    /** Whether a redirect from {@code from} to {@code to} stays on the same host or the Hub's own (huggingface_hub's rule). */
    private boolean onHubHost(URI from, URI to) {
        String host = String.valueOf(to.getHost()).toLowerCase(java.util.Locale.ROOT);
        return host.equals(String.valueOf(from.getHost()).toLowerCase(java.util.Locale.ROOT))
                || http.endpoint().owns(to) || host.equals("huggingface.co") || host.equals("hf.co");
    }

    /** An answer that is not 2xx as one line, reading huggingface_hub's X-Error-Code where the Hub sends it. */
    private void check(HubModelId id, String what, HttpResponse<?> r) {
        int status = r.statusCode();
        if (status / 100 == 2 || status / 100 == 3) {
            return;
        }
        if (r.body() instanceof InputStream in) {
            try {
                in.close();
            } catch (IOException ignored) {
                // the error below is what matters
            }
        }
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String said = r.headers().firstValue("X-Error-Message").map(m -> " \"" + http.token().mask(m) + "\"").orElse("");
        String head = id + ": " + what + ": " + status + " " + HubHttp.reason(status) + said;
        if (code.equals("GatedRepo") || status == 401 || status == 403) {
            boolean gated = code.equals("GatedRepo") || status == 403;
            throw new HubDownloadException(code.equals("RepoNotFound") ? HubDownloadException.Reason.NOT_FOUND
                    : HubDownloadException.Reason.UNAUTHORIZED, head + (code.equals("RepoNotFound")
                    ? " (no such repo, or a private one: pass --token or set HF_TOKEN)"
                    : gated ? " (a gated repo: accept its terms on the Hub, then pass --token or set HF_TOKEN)"
                    : http.token().isPresent() ? " (the token is refused, or has no access to this repo)"
                    : " (a gated or private repo: pass --token or set HF_TOKEN)"));
        }
        if (status == 404) {
            throw new HubDownloadException(HubDownloadException.Reason.NOT_FOUND, head + switch (code) {
                case "RepoNotFound" -> " (no such repo; a private one needs --token or HF_TOKEN)";
                case "RevisionNotFound" -> " (no revision " + id.revision() + ")";
                case "EntryNotFound" -> " (the repo has no such file)";
                default -> " (no such repo, revision or file)";
            });
        }
        throw new HubDownloadException(HubDownloadException.Reason.NETWORK, head);
    }

    URI resolveUri(RepoId repo, String revision, String file) {
        StringBuilder path = new StringBuilder("/" + repo + "/resolve/" + encode(revision));
        for (String part : file.split("/")) {
            path.append('/').append(encode(part));
        }
        return http.endpoint().resolve(path.toString());
    }

    private static String encode(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String sha256(Path file) throws IOException {
        try (FileChannel in = FileChannel.open(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            while (in.read(buffer) > 0) {
                md.update(buffer.flip());
                buffer.clear();
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Exception e) {
        return e == null ? "" : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private static void sleep(HubModelId id, FileMeta meta, long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubDownloadException(HubDownloadException.Reason.INTERRUPTED, id + ": " + meta.file()
                    + ": interrupted; the next run resumes it");
        }
    }
}
