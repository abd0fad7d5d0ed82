package io.jlora.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.train.EvalMetrics;
import io.jlora.train.StepMetrics;
import io.jlora.train.TrainingListener;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The line between the driver and member 0 of a Spark training job: member 0 streams each step's
 * and evaluation's metrics as JSON lines, so the driver's live plot and progress bar update as on
 * one machine; the driver answers {@code stop} when it is interrupted, and the group stops after
 * its current step.
 */
final class MetricsChannel {

    private static final Logger LOG = Logger.getLogger(MetricsChannel.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricsChannel() {}

    /** Where member 0 finds the driver. */
    record Address(String host, int port) implements Serializable {}

    /** The driver's end: accepts member 0 (again after a retried stage) and feeds a listener. */
    static final class Server implements AutoCloseable {
        private final ServerSocket socket;
        private final TrainingListener listener;
        private final Thread acceptor;
        private volatile PrintWriter toMember;
        private volatile boolean stopRequested;

        Server(String host, TrainingListener listener) throws IOException {
            this.socket = new ServerSocket(0, 8, InetAddress.getByName(host));
            this.listener = listener;
            this.acceptor = new Thread(this::serve, "jlora-spark-metrics");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        Address address() {
            return new Address(socket.getInetAddress().getHostAddress(), socket.getLocalPort());
        }

        /** Asks the group to stop after its current step (now, or as soon as member 0 connects). */
        void requestStop() {
            stopRequested = true;
            PrintWriter w = toMember;
            if (w != null) {
                w.println("stop");
                w.flush();
            }
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket member = socket.accept();
                        BufferedReader lines = new BufferedReader(new InputStreamReader(member.getInputStream(), StandardCharsets.UTF_8))) {
                    toMember = new PrintWriter(member.getOutputStream(), true, StandardCharsets.UTF_8);
                    if (stopRequested) {
                        requestStop();
                    }
                    String line;
                    while ((line = lines.readLine()) != null) {
                        deliver(line);
                    }
                } catch (IOException e) {
                    if (!socket.isClosed()) {
                        LOG.log(Level.FINE, "metrics connection ended", e);
                    }
                }
            }
        }

        private void deliver(String line) {
            try {
                ObjectNode o = (ObjectNode) JSON.readTree(line);
                String type = o.remove("type").asText();
                if (type.equals("step")) {
                    listener.onStep(JSON.treeToValue(o, StepMetrics.class));
                } else if (type.equals("eval")) {
                    listener.onEval(JSON.treeToValue(o, EvalMetrics.class));
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "unreadable metrics line from member 0: " + line, e);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Member 0's end: a listener that sends metrics, and a reader that runs {@code onStop} when asked. */
    static final class Client implements TrainingListener, AutoCloseable {
        private final Socket socket;
        private final PrintWriter out;

        Client(Address driver, Runnable onStop) throws IOException {
            this.socket = new Socket();
            socket.connect(new InetSocketAddress(driver.host(), driver.port()), 30_000);
            this.out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.equals("stop")) {
                            onStop.run();
                        }
                    }
                } catch (IOException ignored) {
                    // the job ended
                }
            }, "jlora-spark-stop");
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public void onStep(StepMetrics m) {
            send("step", m);
        }

        @Override
        public void onEval(EvalMetrics m) {
            send("eval", m);
        }

        private synchronized void send(String type, Object metrics) {
            ObjectNode o = JSON.valueToTree(metrics);
            o.put("type", type);
            out.println(o);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
