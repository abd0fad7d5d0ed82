package io.jlora.hub;

import io.jlora.JloraException;

/**
 * A failed step of a push: the message names the step and the HTTP status (or the network error),
 * for example {@code push to hub: creating repo user/x failed: 401 Unauthorized}. It never holds
 * the token.
 */
public final class HubException extends JloraException {

    private final int status;

    HubException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status, or 0 when no answer came (network error, bad answer). */
    public int status() {
        return status;
    }
}
