package io.jlora.fuzz;

/** What one fuzz input did to the reader under test. */
enum Outcome {
    /** Loaded (and, where the target goes on, was used) without complaint. */
    ACCEPTED,
    /** Refused with a {@link io.jlora.JloraException} whose message names a file of the input. */
    REFUSED,
    /** Anything else left the reader: another Throwable, or our exception without the file's name. */
    ESCAPED,
    /** Still running at the deadline. */
    HUNG
}
