package io.jlora.kernel.execution;

import java.util.List;

/** What evaluating a piece of a cell gave: a value to show, nothing to show, or an error. */
public sealed interface EvalResult {
    record Value(Object value) implements EvalResult {
    }

    record NoValue() implements EvalResult {
    }

    /** {@code traceback} lines are shown as they are (they may carry ANSI colours). */
    record Failure(String ename, String evalue, List<String> traceback) implements EvalResult {
    }

    NoValue NONE = new NoValue();
}
