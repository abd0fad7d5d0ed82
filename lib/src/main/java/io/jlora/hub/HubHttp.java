package io.jlora.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The HTTP layer of a push: builds requests (adding the token for the Hub's own addresses only),
 * sends them, and turns every failure into a {@link HubException} that names the step and the
 * status, with the token masked out of anything the server said.
 *
 * @param client sends the requests; {@link #defaultClient()} for a push
 * @param endpoint the Hub's address, which alone gets the token
 * @param token the token (its {@code toString} is a mask)
 */
record HubHttp(HttpClient client, HubEndpoint endpoint, HubToken token) {

    private static final Logger LOG = Logger.getLogger(HubHttp.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A Hub API call; a commit of many files can take minutes on the server side. */
    private static final Duration API_TIMEOUT = Duration.ofMinutes(10);
    private static final int MAX_DETAIL = 300;

    /** An answer: status, headers and the whole body (Hub API answers are small). */
    record Reply(int status, HttpHeaders headers, byte[] body) {
    }

    /**
     * The client a push uses. Redirects are not followed: Java's client would resend the
     * Authorization header to wherever a redirect points. HTTP/1.1 because plain-http endpoints
     * (mirrors, tests) would otherwise get an h2c upgrade attempt on every request.
     */
    static HttpClient defaultClient() {
        return HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** A request to a Hub API path, with the token and a JSON body. */
    HttpRequest postJson(String path, Object body) {
        return postJson(endpoint.resolve(path), body, "application/json", Map.of());
    }

    /**
     * A POST of a JSON body to {@code uri} with extra headers; the token is added only when the
     * address is on the Hub.
     */
    HttpRequest postJson(URI uri, Object body, String contentType, Map<String, String> headers) {
        try {
            return post(uri, JSON.writeValueAsBytes(body), contentType, headers);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a request body as JSON", e);
        }
    }

    /** A POST of {@code body}, answered in JSON unless {@code headers} ask otherwise. */
    HttpRequest post(URI uri, byte[] body, String contentType, Map<String, String> headers) {
        HttpRequest.Builder b = builder(uri, headers)
                .timeout(API_TIMEOUT)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (!has(headers, "Accept")) {
            b.header("Accept", "application/json");
        }
        return b.build();
    }

    /** A request builder for {@code uri}: the given headers, plus the token when the Hub owns the address. */
    HttpRequest.Builder builder(URI uri, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", "jlora");
        headers.forEach(b::header);
        if (token.isPresent() && endpoint.owns(uri) && !has(headers, "Authorization")) {
            b.header("Authorization", token.bearer());
        }
        return b;
    }

    /** Sends {@code request} as it is (a download streams its body; see {@link HubDownload}). */
    <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> body) throws IOException, InterruptedException {
        LOG.fine(() -> request.method() + " " + request.uri());
        return client.send(request, body);
    }

    private static boolean has(Map<String, String> headers, String name) {
        return headers.keySet().stream().anyMatch(name::equalsIgnoreCase);
    }

    /**
     * Sends and returns the answer when its status is 2xx or one of {@code alsoFine}.
     *
     * @param step what is being done, for the error message ("creating repo user/x")
     */
    Reply send(String step, HttpRequest request, int... alsoFine) {
        LOG.fine(() -> request.method() + " " + request.uri());
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new HubException(token.mask("push to hub: " + step + " failed: cannot reach "
                    + origin(request.uri()) + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")"), 0, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("push to hub: " + step + " was interrupted", 0, null);
        }
        int status = response.statusCode();
        LOG.fine(() -> request.method() + " " + request.uri() + " -> " + status);
        Reply reply = new Reply(status, response.headers(), response.body() == null ? new byte[0] : response.body());
        if (status / 100 == 2) {
            return reply;
        }
        for (int ok : alsoFine) {
            if (status == ok) {
                return reply;
            }
        }
        String detail = detail(reply);
        throw new HubException(token.mask("push to hub: " + step + " failed: " + status + " " + reason(status)
                + (detail.isEmpty() ? "" : " (" + detail + ")")), status, null);
    }

    /** The answer's body as JSON; a body that is not JSON is the server's fault, named with the step. */
    JsonNode json(String step, Reply reply) {
        try {
            return JSON.readTree(reply.body());
        } catch (IOException e) {
            throw new HubException("push to hub: " + step + ": the Hub's answer is not JSON ("
                    + token.mask(snippet(new String(reply.body(), StandardCharsets.UTF_8))) + ")", reply.status(), null);
        }
    }

    /**
     * What the server said about an error: the Hub puts it in {"error": ...} or in the
     * X-Error-Message header; other servers (storage) answer text or XML.
     */
    private static String detail(Reply reply) {
        if (reply.status() / 100 == 3) {
            return reply.headers().firstValue("Location").map(l -> "to " + snippet(l)).orElse("");
        }
        String body = new String(reply.body(), StandardCharsets.UTF_8).strip();
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.path("error").isTextual()) {
                return snippet(node.path("error").asText());
            }
            if (node != null && node.path("error").path("message").isTextual()) {
                return snippet(node.path("error").path("message").asText());
            }
        } catch (IOException notJson) {
            // fall through to the header or the raw text
        }
        return reply.headers().firstValue("X-Error-Message").map(HubHttp::snippet).orElse(snippet(body));
    }

    private static String snippet(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= MAX_DETAIL ? oneLine : oneLine.substring(0, MAX_DETAIL) + "...";
    }

    /** Scheme, host and port only: an upload address's query may carry a storage signature. */
    static String origin(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    }

    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 410 -> "Gone";
            case 412 -> "Precondition Failed";
            case 413 -> "Payload Too Large";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Entity";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> status / 100 == 3 ? "Redirect (not followed)" : "Error";
        };
    }
}
