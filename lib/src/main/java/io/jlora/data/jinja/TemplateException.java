package io.jlora.data.jinja;

/** A template that cannot be parsed or rendered; also what {@code raise_exception} throws. */
public final class TemplateException extends RuntimeException {
    private final boolean raisedByTemplate;

    TemplateException(String message, boolean raisedByTemplate) {
        super(message);
        this.raisedByTemplate = raisedByTemplate;
    }

    /** True when the template itself refused its input ({@code raise_exception}), not a template fault. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
