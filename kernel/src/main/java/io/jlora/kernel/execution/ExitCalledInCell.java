package io.jlora.kernel.execution;

import java.util.Arrays;

/**
 * Thrown in place of {@code System.exit}, {@code Runtime.exit} or {@code Runtime.halt} called by cell code:
 * cells run inside the kernel's JVM, so those calls would end the kernel, and with it every object the
 * notebook holds, without a word to the user.
 */
public final class ExitCalledInCell extends RuntimeException {
    public ExitCalledInCell(String call, int status) {
        super(call + "(" + status + ") called in a cell: the kernel stays up; use the Restart command to restart it");
        // the user's own call is the frame to show first, not the kernel's redirect
        StackTraceElement[] frames = getStackTrace();
        int first = 0;
        while (first < frames.length && frames[first].getClassName().startsWith(ExitCalls.class.getPackageName() + ".")) first++;
        setStackTrace(Arrays.copyOfRange(frames, first, frames.length));
    }
}
