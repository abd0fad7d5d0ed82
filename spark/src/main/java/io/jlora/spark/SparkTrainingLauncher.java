package io.jlora.spark;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.JloraException;
import io.jlora.magics.commands.DistributedTraining;
import io.jlora.train.TrainingListener;
import io.jlora.train.TrainingSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The driver's side of {@code train --spark-master}: one Spark job whose barrier stage runs the
 * group's members ({@link TrainTask}), all started together as training needs. A shuffle after that
 * stage makes it a shuffle-map stage, which Spark retries as a whole when a member dies (a failed
 * barrier result stage would abort the job); the retried members resume from the latest checkpoint.
 */
public final class SparkTrainingLauncher implements DistributedTraining {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What {@link #run} measured beyond the command's result (for the benchmark). */
    public record Communication(double seconds, long bytesSent) {}

    private volatile Communication lastCommunication;

    public Communication lastCommunication() {
        return lastCommunication;
    }

    @Override
    public Result run(String master, int workers, String command, List<String> args, TrainingListener listener) throws Exception {
        SparkConf conf = conf(master, "jlora " + command);
        try (JavaSparkContext spark = new JavaSparkContext(conf)) {
            spark.setLogLevel("WARN");
            String host = spark.getConf().get("spark.driver.host", "127.0.0.1");
            try (MetricsChannel.Server metrics = new MetricsChannel.Server(host, listener)) {
                TrainTask task = new TrainTask(command, args, metrics.address());
                ClassTag<String> strings = ClassTag$.MODULE$.apply(String.class);
                RDD<String> trained = spark.parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd()
                        .barrier().mapPartitions(task, false, strings);
                ExecutorService waiter = Executors.newSingleThreadExecutor();
                try {
                    Future<List<String>> job = waiter.submit(() -> trained.toJavaRDD().repartition(1).collect());
                    return result(await(job, metrics));
                } finally {
                    waiter.shutdownNow();
                }
            }
        }
    }

    /** Spark's settings for the job; what the user set (spark-defaults, -D, spark-submit) wins. */
    static SparkConf conf(String master, String name) {
        SparkConf conf = new SparkConf().setAppName(name);
        if (master != null) {
            conf.setMaster(master);
        }
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.stage.maxConsecutiveAttempts", "4");
        conf.setIfMissing("spark.speculation", "false");
        String m = conf.get("spark.master", "local[2]");
        if (m.startsWith("local")) {
            // one machine: the driver and its tasks talk over loopback, never a network interface
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        } else {
            // executors on machines that share this install (the loopback test, a shared file system):
            // the driver's class path; elsewhere ship the jars with spark-submit --jars and set these
            conf.setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"));
            conf.setIfMissing("spark.executor.extraJavaOptions", "-Dai.djl.offline=true -Xss4m");
        }
        return conf;
    }

    /** Waits for the job; an interrupt asks the group to stop after its current step, then waits on. */
    private static List<String> await(Future<List<String>> job, MetricsChannel.Server metrics) throws Exception {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return job.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    metrics.requestStop();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    throw new JloraException("the Spark training job failed: " + rootMessage(cause), cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Result result(List<String> answers) throws Exception {
        for (String a : answers) {
            if (a.isEmpty()) {
                continue;
            }
            JsonNode node = JSON.readTree(a);
            Map<String, Object> json = JSON.convertValue(node.get("result"), new TypeReference<Map<String, Object>>() {});
            TrainingSummary summary = JSON.treeToValue(node.get("summary"), TrainingSummary.class);
            lastCommunication = new Communication(node.path("comm_seconds").asDouble(), node.path("comm_bytes_sent").asLong());
            return new Result(json, summary);
        }
        throw new JloraException("the Spark training job ended without member 0's result");
    }

    private static String rootMessage(Throwable t) {
        List<String> seen = new ArrayList<>();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                seen.add(c.getMessage());
            }
        }
        return seen.isEmpty() ? String.valueOf(t) : seen.get(seen.size() - 1);
    }
}
