package io.jlora.hub;

import io.jlora.JloraException;
import java.net.URI;
import java.util.Map;

/**
 * Where the Hub is: https://huggingface.co unless {@code HF_ENDPOINT} says otherwise (a mirror, a
 * private hub, or a test's loopback server), as in huggingface_hub.
 */
public final class HubEndpoint {

    public static final String DEFAULT = "https://huggingface.co";

    private final URI base;

    private HubEndpoint(URI base) {
        this.base = base;
    }

    public static HubEndpoint of(String url) {
        String trimmed = url.strip();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(trimmed);
        } catch (IllegalArgumentException e) {
            throw new JloraException("the Hub endpoint '" + url + "' is not a URL", e);
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new JloraException("the Hub endpoint '" + url + "' must be an http(s) URL with a host");
        }
        return new HubEndpoint(uri);
    }

    /** {@code HF_ENDPOINT} when set, else {@link #DEFAULT}. */
    public static HubEndpoint fromEnvironment(Map<String, String> env) {
        String url = env.get("HF_ENDPOINT");
        return of(url == null || url.isBlank() ? DEFAULT : url);
    }

    /** An address on the Hub; {@code path} starts with '/'. */
    public URI resolve(String path) {
        return URI.create(base + path);
    }

    /** The repo's page. */
    public String repoUrl(RepoId repo) {
        return base + "/" + repo;
    }

    /**
     * Whether {@code uri} is on the Hub itself. Only such addresses get the token: LFS upload
     * addresses usually point at a storage service, which must not see it.
     */
    public boolean owns(URI uri) {
        return base.getScheme().equalsIgnoreCase(String.valueOf(uri.getScheme()))
                && base.getHost().equalsIgnoreCase(String.valueOf(uri.getHost()))
                && port(base) == port(uri);
    }

    private static int port(URI uri) {
        if (uri.getPort() != -1) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    @Override
    public String toString() {
        return base.toString();
    }
}
