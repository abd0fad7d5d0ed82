package io.jlora.kernel.protocol;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The five channels of a kernel, each socket owned by one thread of its own.
 * <p>Why one owner per socket: ZeroMQ sockets are not thread-safe, and JeroMQ's sockets sit on NIO
 * channels that a {@code Thread.interrupt()} would close. User code runs on yet another thread, which
 * only ever puts messages on queues, so interrupting it can never break a socket.
 * Each loop blocks in {@code recv} (no polling sleep), so a reply leaves as soon as it is ready.
 */
public final class KernelSockets implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KernelSockets.class.getName());
    private static final Message POISON = new Message(java.util.List.of(), new com.google.gson.JsonObject(),
            new com.google.gson.JsonObject(), new com.google.gson.JsonObject(), new com.google.gson.JsonObject(), java.util.List.of());

    /** Handles a request arriving on the shell or control channel; may answer through the {@link Replier}. */
    public interface RequestHandler extends BiConsumer<Message, Replier> {
    }

    /** Sends replies on the channel a request came in on; only usable from that channel's thread. */
    public interface Replier {
        void send(Message reply);
    }

    private final ConnectionInfo connection;
    private final WireCodec codec;
    private final ZContext context = new ZContext(1);
    private final BlockingQueue<Message> iopubQueue = new LinkedBlockingQueue<>();
    /** Messages published and not yet handed to ZeroMQ (queued or being written). */
    private final java.util.concurrent.atomic.AtomicInteger iopubUnsent = new java.util.concurrent.atomic.AtomicInteger();
    private final StdinChannel stdin;
    private volatile boolean closed;

    public KernelSockets(ConnectionInfo connection) {
        this.connection = connection;
        this.codec = new WireCodec(new MessageSigner(connection.signatureScheme(), connection.key()));
        this.stdin = new StdinChannel(context.createSocket(SocketType.ROUTER), codec);
    }

    /** Binds every channel and starts the threads that serve them. */
    public void start(RequestHandler shellHandler, RequestHandler controlHandler) {
        ZMQ.Socket heartbeat = bind(SocketType.REP, connection.hbPort());
        ZMQ.Socket iopub = bind(SocketType.PUB, connection.iopubPort());
        ZMQ.Socket shell = bind(SocketType.ROUTER, connection.shellPort());
        ZMQ.Socket control = bind(SocketType.ROUTER, connection.controlPort());
        stdin.bind(connection.address(connection.stdinPort()));

        daemon("jlora-heartbeat", () -> {
            while (!closed) {
                byte[] ping = heartbeat.recv(0);
                if (ping != null) heartbeat.send(ping, 0);
            }
        });
        daemon("jlora-iopub", () -> {
            while (!closed) {
                Message message = takeUninterruptibly();
                if (message == POISON) return;
                try {
                    codec.write(iopub, message);
                } finally {
                    iopubUnsent.decrementAndGet();
                }
            }
        });
        daemon("jlora-stdin", stdin::serve);
        daemon("jlora-control", () -> serve(control, "control", controlHandler));
        daemon("jlora-shell", () -> serve(shell, "shell", shellHandler));
    }

    /** Queues a message for IOPub; safe from any thread, never blocks. */
    public void publish(Message message) {
        iopubUnsent.incrementAndGet();
        iopubQueue.add(message);
    }

    public StdinChannel stdin() {
        return stdin;
    }

    /** Waits (briefly) until everything published so far has been handed to ZeroMQ. */
    public void drainIopub(long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (iopubUnsent.get() > 0 && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void serve(ZMQ.Socket socket, String channel, RequestHandler handler) {
        Replier replier = reply -> codec.write(socket, reply);
        while (!closed) {
            codec.read(socket, channel).ifPresent(request -> {
                try {
                    handler.accept(request, replier);
                } catch (RuntimeException | Error e) {
                    LOG.log(Level.SEVERE, "failed to handle " + request.type() + " on " + channel, e);
                }
            });
        }
    }

    private Message takeUninterruptibly() {
        while (true) {
            try {
                return iopubQueue.take();
            } catch (InterruptedException ignored) {
                // only close() stops this thread, by the poison message
            }
        }
    }

    private ZMQ.Socket bind(SocketType type, int port) {
        ZMQ.Socket socket = context.createSocket(type);
        socket.setLinger(1000);
        socket.bind(connection.address(port));
        return socket;
    }

    /**
     * Runs a channel's loop on a daemon thread. A cell that fills the heap can make any thread's
     * allocation fail: an OutOfMemoryError here restarts the loop instead of ending the channel for
     * good (a dead heartbeat thread would make Jupyter restart a kernel that had recovered).
     */
    private void daemon(String name, Runnable body) {
        Thread thread = new Thread(() -> {
            while (!closed) {
                try {
                    body.run();
                    return;
                } catch (org.zeromq.ZMQException e) {
                    LOG.fine(() -> name + " stopped: " + e.getMessage());
                    return;
                } catch (OutOfMemoryError e) {
                    LOG.warning(() -> name + " ran out of memory and carries on: " + e.getMessage());
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        closed = true;
        iopubQueue.add(POISON);
        drainIopub(500);
    }
}
