package io.jlora.model.autograd;

import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's gradient recording switch for the calling thread. It is per thread and on by default
 * on a new thread (a kernel's cell thread, a CLI worker), off on the thread that started DJL. While
 * it is on, every op whose input requires a gradient (a trainable LoRA matrix) keeps its inputs for
 * a backward pass that inference never runs: a generation with an attached adapter would hold
 * every step's activations. Inference paths therefore turn it off for their duration.
 */
public final class GradRecording {

    private GradRecording() {}

    /** Sets recording to {@code on} for this thread until the returned scope is closed. */
    public static Scope set(boolean on) {
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(on);
        return new Scope(before);
    }

    /** Recording off until the scope is closed (inference). */
    public static Scope off() {
        return set(false);
    }

    /** Whether this thread records gradients now. */
    public static boolean isOn() {
        return JniUtils.isGradMode();
    }

    /** Puts the previous setting back on close. */
    public static final class Scope implements AutoCloseable {
        private final boolean before;

        private Scope(boolean before) {
            this.before = before;
        }

        @Override
        public void close() {
            JniUtils.setGradMode(before);
        }
    }
}
