package io.jlora.kernel.magic;

/** A magic's own error: shown to the user as one line, without a stack trace. */
public class MagicException extends RuntimeException {
    public MagicException(String message) {
        super(message);
    }

    public MagicException(String message, Throwable cause) {
        super(message, cause);
    }
}
