package io.jlora.hub;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Java's HTTP client has no read timeout: a connection that stops sending mid-body would block the
 * download forever. This interrupts the reading thread once no byte came for {@link #timeout}, so
 * that {@link HubDownload} retries (resumes) a stalled transfer as it does a dropped one.
 */
final class StallWatch implements AutoCloseable {

    /** How long a transfer may go without a byte; tests shorten it. */
    static volatile Duration timeout = Duration.ofSeconds(60);

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jlora-hub-stall-watch");
        t.setDaemon(true);
        return t;
    });

    private final Thread reader = Thread.currentThread();
    private final long limit = timeout.toNanos();
    private final ScheduledFuture<?> task;
    private volatile long last = System.nanoTime();
    private boolean fired;
    private boolean closed;

    StallWatch() {
        long period = Math.max(10, timeout.toMillis() / 4);
        task = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /** A byte came. */
    void progressed() {
        last = System.nanoTime();
    }

    /** Whether the watch interrupted the reader. */
    synchronized boolean fired() {
        return fired;
    }

    private synchronized void check() {
        if (!closed && !fired && System.nanoTime() - last > limit) {
            fired = true;
            reader.interrupt();
        }
    }

    /** Stops watching; clears the interrupt this watch caused, which is not the user's. */
    @Override
    public synchronized void close() {
        closed = true;
        task.cancel(false);
        if (fired) {
            Thread.interrupted();
        }
    }
}
