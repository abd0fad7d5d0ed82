package io.jlora;

/**
 * The project's own unchecked exception: every failure that a user can cause (a bad file, a bad
 * option, an unsupported model) surfaces as this type or a subclass, with a message that names
 * what to fix.
 */
public class JloraException extends RuntimeException {

    public JloraException(String message) {
        super(message);
    }

    public JloraException(String message, Throwable cause) {
        super(message, cause);
    }
}
