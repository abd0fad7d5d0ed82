package io.jlora.kernel;

import java.util.logging.Logger;

/**
 * Jupyter's "signal" interrupt mode sends SIGINT to the kernel process. The JVM would exit on it;
 * here it interrupts the running cell instead, as in message mode.
 */
final class SignalInterrupts {
    private static final Logger LOG = Logger.getLogger(SignalInterrupts.class.getName());

    private SignalInterrupts() {
    }

    @SuppressWarnings("sunapi")
    static void install(Runnable onInterrupt) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> onInterrupt.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warning("SIGINT cannot be handled here (" + e.getMessage() + "); interrupts work by message only");
        }
    }
}
