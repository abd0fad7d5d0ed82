package io.jlora.fuzz;

/** The outcome of one input and, for an escape or a hang, what happened (for the report). */
record Verdict(Outcome outcome, String detail) {

    static Verdict accepted() {
        return new Verdict(Outcome.ACCEPTED, null);
    }

    static Verdict refused(String message) {
        return new Verdict(Outcome.REFUSED, message);
    }
}
