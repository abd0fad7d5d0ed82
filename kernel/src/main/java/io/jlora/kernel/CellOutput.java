package io.jlora.kernel;

import com.google.gson.JsonObject;
import io.jlora.kernel.protocol.KernelSockets;
import io.jlora.kernel.protocol.Message;
import io.jlora.kernel.runtime.Notebook;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * What cells print and display, published on IOPub under the request that runs them: System.out and
 * System.err in batches (flushed every 50 ms and when a cell ends), display calls from any thread, and
 * the kernel's last words when it exits.
 */
final class CellOutput {
    private static final Logger LOG = Logger.getLogger(CellOutput.class.getName());

    private final KernelSockets sockets;
    private final MimeBundles bundles = new MimeBundles();
    /** The session a message without a parent is sent in (the kernel's history session). */
    private final Supplier<String> session;
    private final StreamPublisher stdout = new StreamPublisher("stdout", this::publishStream);
    private final StreamPublisher stderr = new StreamPublisher("stderr", this::publishStream);
    /** The execute_request whose cell is running (or ran last): the parent of what cells print. */
    private volatile Message parent;
    /** Display ids handed out during the running cell: {@code display(x)} returns one, and it is not echoed. */
    private final Set<String> issuedDisplayIds = ConcurrentHashMap.newKeySet();

    CellOutput(KernelSockets sockets, Supplier<String> session) {
        this.sockets = sockets;
        this.session = session;
    }

    StreamPublisher stdout() {
        return stdout;
    }

    StreamPublisher stderr() {
        return stderr;
    }

    /** From now on what cells print and display belongs to {@code request}. */
    void startCell(Message request) {
        parent = request;
        issuedDisplayIds.clear();
    }

    Message parent() {
        return parent;
    }

    /** Makes {@link Notebook#current()} publish here, and starts the periodic flush of the streams. */
    void start() {
        Notebook.install(new KernelNotebook());
        Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jlora-output-flush");
            t.setDaemon(true);
            return t;
        }).scheduleWithFixedDelay(this::flushSafely, 50, 50, TimeUnit.MILLISECONDS);
    }

    void flush() {
        stdout.flush();
        stderr.flush();
    }

    /**
     * The periodic flush: a scheduled task that throws is never run again, so an allocation failure
     * while a cell fills the heap must not escape, or the output of every later cell would stall.
     */
    private void flushSafely() {
        try {
            flush();
        } catch (OutOfMemoryError e) {
            LOG.warning(() -> "output flush ran out of memory: " + e.getMessage());
        }
    }

    /**
     * Values that are not worth an Out: a display id that display() returned, and the output streams
     * themselves, which {@code System.out.printf(...)} returns.
     */
    boolean isNotWorthAnOut(Object value) {
        return value instanceof String id && issuedDisplayIds.contains(id) || value == System.out || value == System.err;
    }

    /** The execute_result content for a cell's value (no transient part, as the protocol asks). */
    JsonObject executeResult(Object value, int count) {
        JsonObject bundle = bundles.render(value, null);
        bundle.remove("transient");
        bundle.addProperty("execution_count", count);
        return bundle;
    }

    /**
     * Tells the user, under the running cell (or with no parent between cells), that the kernel is going
     * away and why; waits briefly so that the message leaves before the process ends.
     */
    void announceExit(String text) {
        flush();
        JsonObject content = Replies.stream("stderr", text + "\n");
        Message request = parent;
        sockets.publish(request != null ? request.broadcast("stream", content)
                : Message.broadcastWithoutParent("stream", content, session.get()));
        // the JVM halts when the shutdown hooks return: give the IOPub thread time to hand the message
        // to ZeroMQ even on a loaded machine, then ZeroMQ's I/O thread time to write it (nothing waits
        // for that write, and a socket may only be closed by its own thread)
        sockets.drainIopub(5000);
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void publishStream(String name, String text) {
        Message request = parent;
        if (request == null) {
            LOG.info(() -> name + " outside any cell: " + text);
            return;
        }
        sockets.publish(request.broadcast("stream", Replies.stream(name, text)));
    }

    /** Display calls from cells (any thread) become display_data under the running cell. */
    private final class KernelNotebook implements Notebook {
        @Override
        public String display(Object value, String displayId) {
            publishDisplay("display_data", value, displayId);
            issuedDisplayIds.add(displayId);
            return displayId;
        }

        @Override
        public void updateDisplay(String displayId, Object value) {
            if (displayId == null) throw new IllegalArgumentException("updateDisplay needs the id that display returned");
            publishDisplay("update_display_data", value, displayId);
        }

        @Override
        public void clearOutput(boolean wait) {
            publish("clear_output", () -> Replies.clearOutput(wait));
        }

        @Override
        public boolean isRich() {
            return true;
        }

        private void publishDisplay(String type, Object value, String displayId) {
            publish(type, () -> bundles.render(value, displayId));
        }

        /** Flushes the streams first, so that text printed before a display stays above it. */
        private void publish(String type, Supplier<JsonObject> content) {
            Message request = parent;
            if (request == null) return;
            flush();
            sockets.publish(request.broadcast(type, content.get()));
        }
    }
}
