package io.jlora;

/**
 * A config value out of its range: names the config's field (its Java name, e.g. {@code batchSize})
 * and the problem, so that a front end can report it under its own name for the field (the command
 * line's {@code --batch-size}).
 */
public class InvalidFieldException extends JloraException {

    private final String field;
    private final String problem;

    /** {@code problem} reads after the field's name: "must be >= 1, got 0". */
    public InvalidFieldException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
        this.problem = problem;
    }

    /** Throws unless {@code ok}. */
    public static void require(boolean ok, String field, String problem) {
        if (!ok) {
            throw new InvalidFieldException(field, problem);
        }
    }

    /** The field's Java name (a record component of the config). */
    public String field() {
        return field;
    }

    /** What is wrong with its value, without the field's name. */
    public String problem() {
        return problem;
    }
}
