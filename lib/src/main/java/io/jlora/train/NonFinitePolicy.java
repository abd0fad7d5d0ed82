package io.jlora.train;

/** What a step whose loss or gradients are NaN or infinite does. Either way the weights are not updated. */
public enum NonFinitePolicy {
    /** skip the update and go on with the next step */
    SKIP,
    /** skip the update and stop training */
    STOP
}
