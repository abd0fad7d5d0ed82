package io.jlora.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Named places in the writers where a crash test may stop the process. When the system property
 * {@value #PAUSE_PROPERTY} (or the environment variable {@code JLORA_CRASHTEST_PAUSE}) names a
 * point, the writer reaching it creates the file named by {@value #SIGNAL_PROPERTY} (or
 * {@code JLORA_CRASHTEST_SIGNAL}) and sleeps until killed, so that a test can send SIGKILL at
 * exactly that moment. Unset (always, outside the crash tests) a point costs a map lookup.
 *
 * <p>A point may be named with an occurrence, {@code name#2}, to stop at its second passage.
 */
public final class CrashTestPoints {

    public static final String PAUSE_PROPERTY = "jlora.crashtest.pause";
    public static final String SIGNAL_PROPERTY = "jlora.crashtest.signal";

    /** Inside a {@link SafetensorsWriter} temporary file, after the header, before the tensor bytes. */
    public static final String SAFETENSORS_HEADER = "safetensors-header";
    /** A safetensors file has just been renamed to its final name. */
    public static final String SAFETENSORS_RENAMED = "safetensors-renamed";
    /** {@link FolderCommit}: every file is in the staging folder, the manifest not yet written. */
    public static final String BEFORE_MANIFEST = "before-manifest";
    /** {@link FolderCommit}: the staging folder is complete with its manifest; nothing moved yet. */
    public static final String BEFORE_SWAP = "before-swap";
    /** {@link FolderCommit}: the old folder has been moved aside, the new one not yet into place. */
    public static final String MID_SWAP = "mid-swap";
    /** {@link FolderCommit}: the new folder is in place, the old one not yet deleted. */
    public static final String BEFORE_CLEANUP = "before-cleanup";

    private static final String PAUSE = setting(PAUSE_PROPERTY, "JLORA_CRASHTEST_PAUSE");
    private static int passages;

    private CrashTestPoints() {}

    /** Pauses forever here when this is the configured point (crash tests only). */
    public static void reach(String point) {
        if (PAUSE == null) {
            return;
        }
        int at = PAUSE.indexOf('#');
        String name = at < 0 ? PAUSE : PAUSE.substring(0, at);
        int occurrence = at < 0 ? 1 : Integer.parseInt(PAUSE.substring(at + 1));
        if (!name.equals(point)) {
            return;
        }
        synchronized (CrashTestPoints.class) {
            if (++passages != occurrence) {
                return;
            }
        }
        String signal = setting(SIGNAL_PROPERTY, "JLORA_CRASHTEST_SIGNAL");
        System.err.println("jlora crash test: paused at " + PAUSE);
        if (signal != null) {
            try {
                Files.writeString(Path.of(signal), PAUSE);
            } catch (IOException e) {
                throw new IllegalStateException("crash test: cannot write the signal file " + signal, e);
            }
        }
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // a crash test point waits for SIGKILL, not for an interrupt
            }
        }
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        return v != null && !v.isEmpty() ? v : System.getenv(env) != null && !System.getenv(env).isEmpty()
                ? System.getenv(env) : null;
    }
}
