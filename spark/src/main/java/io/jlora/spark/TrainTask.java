package io.jlora.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.magics.LoraSession;
import io.jlora.magics.commands.CommandRunner;
import io.jlora.train.Trainer;
import io.jlora.train.TrainingListener;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One Spark barrier task: a member of the training group. It opens a port for its ring
 * neighbour, learns every member's address through the barrier's allGather, then runs the very
 * one-shot command a single machine runs (load the base, read the data, attach the adapter with the
 * run's seed, train) in a session that {@link LoraSession#joinGroup joins} the ring. Member 0
 * streams metrics to the driver and writes checkpoints and the result. A retried stage (a worker
 * died) resumes from the output folder's latest checkpoint.
 */
final class TrainTask extends AbstractFunction1<Iterator<Integer>, Iterator<String>> implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final int RING_TIMEOUT_MS = 600_000;

    private final String command;
    private final List<String> args;
    private final MetricsChannel.Address driver;

    TrainTask(String command, List<String> args, MetricsChannel.Address driver) {
        this.command = command;
        this.args = new ArrayList<>(args);
        this.driver = driver;
    }

    @Override
    public Iterator<String> apply(Iterator<Integer> ignored) {
        BarrierTaskContext context = BarrierTaskContext.get();
        int rank = context.partitionId();
        BarrierTaskInfo[] tasks = context.getTaskInfos();
        String host = tasks[rank].address().replaceFirst(":\\d+$", "");
        try (ServerSocket own = new ServerSocket(0, 8, InetAddress.getByName(host))) {
            String[] gathered = context.allGather(host + ":" + own.getLocalPort());
            List<InetSocketAddress> members = new ArrayList<>();
            for (String a : gathered) {
                int colon = a.lastIndexOf(':');
                members.add(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
            }
            String result = members.size() == 1 ? alone(context) : inRing(context, rank, members, own);
            return CollectionConverters.asScala(List.of(result).iterator());
        } catch (JloraException e) {
            throw e;
        } catch (Exception e) {
            throw new JloraException("worker " + rank + ": " + e.getMessage(), e);
        }
    }

    private String alone(BarrierTaskContext context) throws Exception {
        return train(context, null, 0);
    }

    private String inRing(BarrierTaskContext context, int rank, List<InetSocketAddress> members, ServerSocket own) throws Exception {
        try (RingAllReduce ring = new RingAllReduce(rank, members, own, RING_TIMEOUT_MS)) {
            return train(context, ring, rank);
        }
    }

    private String train(BarrierTaskContext context, RingAllReduce ring, int rank) throws Exception {
        try (LoraSession session = new LoraSession()) {
            List<TrainingListener> listeners = new ArrayList<>();
            io.jlora.train.TrainingSummary[] ended = new io.jlora.train.TrainingSummary[1];
            listeners.add(new TrainingListener() {
                @Override
                public void onEnd(io.jlora.train.TrainingSummary summary) {
                    ended[0] = summary;
                }
            });
            MetricsChannel.Client metrics = null;
            if (rank == 0) {
                metrics = new MetricsChannel.Client(driver, () -> {
                    Trainer t = session.trainer();
                    if (t != null) {
                        t.cancel();
                    }
                });
                listeners.add(metrics);
            }
            session.joinGroup(ring != null ? ring : new Solo(), context.stageAttemptNumber() > 0, listeners);
            List<String> words = new ArrayList<>();
            words.add(command);
            words.addAll(args);
            CommandRunner.Outcome outcome = new CommandRunner(session, "jlora", false).run(words);
            if (metrics != null) {
                metrics.close();
            }
            if (rank != 0) {
                return "";
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode out = json.createObjectNode();
            out.set("result", json.valueToTree(outcome.result().json()));
            out.set("summary", json.valueToTree(ended[0]));
            if (ring != null) {
                out.put("comm_seconds", ring.seconds());
                out.put("comm_bytes_sent", ring.bytesSent());
            }
            return out.toString();
        }
    }

    /** A group of one (a --workers 1 job): nothing to sum. */
    private static final class Solo implements io.jlora.train.DataParallel {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public void allReduceSum(float[] values) {}

        @Override
        public void allReduceSum(double[] values) {}
    }
}
