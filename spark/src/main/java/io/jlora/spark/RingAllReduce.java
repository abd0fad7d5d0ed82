package io.jlora.spark;

import io.jlora.JloraException;
import io.jlora.train.DataParallel;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A ring all-reduce over TCP among the members of a data-parallel group (Baidu's / Horovod's
 * algorithm): the buffer is cut into one chunk per member; in N-1 reduce-scatter rounds each
 * member sends a chunk to the next member and adds the one it receives from the previous, after
 * which each chunk is complete on one member; N-1 all-gather rounds then copy the complete chunks
 * round the ring. Each member sends 2 (N-1)/N of the buffer whatever N is, and every member ends
 * with the same bits (each chunk is summed once, in ring order, then copied).
 *
 * <p>Sends run on a thread of their own while the member receives, so two neighbours sending large
 * chunks at once never wait on each other's socket buffers.
 */
public final class RingAllReduce implements DataParallel, AutoCloseable {

    private final int rank;
    private final int size;
    private final Socket toNext;
    private final Socket fromPrevious;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jlora-ring-send");
        t.setDaemon(true);
        return t;
    });
    private long bytesSent;
    private long nanos;

    /**
     * Joins the ring: connects to member rank+1 at {@code members.get(rank + 1)} and accepts member
     * rank-1 on {@code own} (already bound, its address being {@code members.get(rank)}).
     */
    public RingAllReduce(int rank, List<InetSocketAddress> members, ServerSocket own, int timeoutMillis) {
        this.rank = rank;
        this.size = members.size();
        if (size < 2) {
            throw new IllegalArgumentException("a ring needs two members or more, got " + size);
        }
        try {
            InetSocketAddress next = members.get((rank + 1) % size);
            Future<Socket> accepted = sender.submit(() -> {
                own.setSoTimeout(timeoutMillis);
                return own.accept();
            });
            Socket connected = connect(next, timeoutMillis);
            this.toNext = connected;
            this.fromPrevious = accepted.get();
            toNext.setTcpNoDelay(true);
            fromPrevious.setSoTimeout(timeoutMillis);
            this.out = new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
            this.in = new DataInputStream(new BufferedInputStream(fromPrevious.getInputStream(), 1 << 16));
        } catch (Exception e) {
            sender.shutdownNow();
            throw new JloraException("member " + rank + " of " + size + " could not join the gradient ring: " + e.getMessage(), e);
        }
    }

    private static Socket connect(InetSocketAddress address, int timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(address, Math.max(1, (int) (deadline - System.currentTimeMillis())));
                return s;
            } catch (IOException e) {
                s.close();
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("cannot reach " + address + ": " + e.getMessage(), e);
                }
                Thread.sleep(50); // the neighbour may not listen yet
            }
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    /** Bytes this member has sent so far. */
    public long bytesSent() {
        return bytesSent;
    }

    /** Seconds this member has spent in collectives so far. */
    public double seconds() {
        return nanos / 1e9;
    }

    @Override
    public void allReduceSum(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        reduce(bytes.array(), 4, (acc, at, incoming, from, n) -> {
            ByteBuffer a = ByteBuffer.wrap(acc).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer b = ByteBuffer.wrap(incoming).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                a.putFloat(at + 4 * i, a.getFloat(at + 4 * i) + b.getFloat(from + 4 * i));
            }
        });
        bytes.asFloatBuffer().get(values);
    }

    @Override
    public void allReduceSum(double[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asDoubleBuffer().put(values);
        reduce(bytes.array(), 8, (acc, at, incoming, from, n) -> {
            ByteBuffer a = ByteBuffer.wrap(acc).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer b = ByteBuffer.wrap(incoming).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                a.putDouble(at + 8 * i, a.getDouble(at + 8 * i) + b.getDouble(from + 8 * i));
            }
        });
        bytes.asDoubleBuffer().get(values);
    }

    /** Adds n elements of {@code incoming} from byte {@code from} into {@code acc} at byte {@code at}. */
    private interface Adder {
        void add(byte[] acc, int at, byte[] incoming, int from, int n);
    }

    private synchronized void reduce(byte[] buffer, int width, Adder adder) {
        long started = System.nanoTime();
        int count = buffer.length / width;
        int[] starts = new int[size + 1];
        for (int c = 0; c <= size; c++) {
            starts[c] = (int) ((long) count * c / size) * width;
        }
        byte[] incoming = new byte[starts[1] - starts[0] + width];
        try {
            // reduce-scatter: after round k, chunk (rank - k - 1) holds k + 2 members' sums here
            for (int k = 0; k < size - 1; k++) {
                int send = Math.floorMod(rank - k, size);
                int receive = Math.floorMod(rank - k - 1, size);
                Future<?> sent = send(buffer, starts[send], starts[send + 1] - starts[send]);
                int n = receive(incoming, starts[receive + 1] - starts[receive]);
                adder.add(buffer, starts[receive], incoming, 0, n / width);
                sent.get();
            }
            // all-gather: the complete chunk (rank + 1) travels round the ring
            for (int k = 0; k < size - 1; k++) {
                int send = Math.floorMod(rank + 1 - k, size);
                int receive = Math.floorMod(rank - k, size);
                Future<?> sent = send(buffer, starts[send], starts[send + 1] - starts[send]);
                int n = receive(incoming, starts[receive + 1] - starts[receive]);
                System.arraycopy(incoming, 0, buffer, starts[receive], n);
                sent.get();
            }
        } catch (Exception e) {
            throw new JloraException("gradient ring broke at member " + rank + " of " + size + " (a worker died or timed out): "
                    + e.getMessage(), e);
        } finally {
            nanos += System.nanoTime() - started;
        }
    }

    private Future<?> send(byte[] buffer, int from, int n) {
        bytesSent += n + 4L;
        return sender.submit(() -> {
            out.writeInt(n);
            out.write(buffer, from, n);
            out.flush();
            return null;
        });
    }

    private int receive(byte[] into, int expected) throws IOException {
        int n = in.readInt();
        if (n != expected) {
            throw new IOException("expected a chunk of " + expected + " bytes, got " + n + " (members disagree on the buffer)");
        }
        in.readFully(into, 0, n);
        return n;
    }

    @Override
    public void close() {
        sender.shutdownNow();
        try {
            toNext.close();
        } catch (IOException ignored) {
            // closing
        }
        try {
            fromPrevious.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
