package io.jlora.hub;

import io.jlora.JloraException;

/**
 * A model or adapter that could not be had from the Hub or its cache, in one line naming the repo
 * and the file, for example {@code meta-llama/Llama-3.2-1B: config.json: 401 Unauthorized (a gated
 * or private repo: accept its terms on the Hub and pass --token or set HF_TOKEN)}. It never holds
 * the token.
 */
public final class HubDownloadException extends JloraException {

    /** What went wrong, for callers that react differently (a test, a retry). */
    public enum Reason {
        /** Offline (HF_HUB_OFFLINE or -Djlora.offline) and the cache lacks a file. */
        NOT_CACHED,
        /** 401 or 403: a gated or private repo, or a bad token. */
        UNAUTHORIZED,
        /** 404: no such repo, revision or file. */
        NOT_FOUND,
        /** The bytes are not what the Hub announced (size or sha256). */
        MISMATCH,
        /** No answer, a dropped connection, or an answer that makes no sense. */
        NETWORK,
        /** The download was interrupted; what arrived is kept and the next run resumes it. */
        INTERRUPTED
    }

    private final Reason reason;

    HubDownloadException(Reason reason, String message) {
        this(reason, message, null);
    }

    HubDownloadException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
