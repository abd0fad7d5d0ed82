package io.jlora.spark;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Spark standalone cluster on loopback, started from the Spark jars on this machine (the test's
 * class path): a master and two workers of one core each, each a JVM of its own. The workers need a
 * SPARK_HOME whose jars/ folder holds Spark's jars: a temporary one of links is made.
 */
final class StandaloneCluster implements AutoCloseable {

    private final List<Process> processes = new ArrayList<>();
    private final Path home;
    final String master;

    StandaloneCluster(Path dir, int workers) throws IOException, InterruptedException {
        this.home = dir.resolve("spark-home");
        Path jars = Files.createDirectories(home.resolve("jars"));
        String classPath = System.getProperty("java.class.path");
        for (String entry : classPath.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && Files.isRegularFile(p) && !Files.exists(jars.resolve(p.getFileName()))) {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p.toAbsolutePath());
            }
        }
        int port = freePort();
        this.master = "spark://127.0.0.1:" + port;
        start(dir.resolve("master.log"), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--webui-port", Integer.toString(freePort()));
        waitForPort(port);
        for (int w = 0; w < workers; w++) {
            Path work = Files.createDirectories(dir.resolve("worker" + w));
            start(dir.resolve("worker" + w + ".log"), "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                    "--memory", "2g", "--webui-port", Integer.toString(freePort()), "--work-dir", work.toString(), master);
        }
        Thread.sleep(3000); // the workers register with the master
    }

    private void start(Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(System.getProperty("jlora.spark.jvm.options", "").split(" ")));
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(home.resolve("jars") + File.separator + "*");
        command.add(mainClass);
        command.addAll(List.of(args));
        command.removeIf(String::isBlank);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        processes.add(pb.start());
    }

    /** Kills (SIGKILL) one executor JVM of this cluster's workers (found by its working folder); true if there was one. */
    boolean killOneExecutor() {
        Path cluster = home.getParent().toAbsolutePath();
        return ProcessHandle.allProcesses().filter(p -> {
            Path proc = Path.of("/proc", Long.toString(p.pid()));
            try {
                String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8);
                return cmdline.contains("CoarseGrainedExecutorBackend") && Files.readSymbolicLink(proc.resolve("cwd")).startsWith(cluster);
            } catch (IOException | RuntimeException e) {
                return false; // gone, or not ours to read
            }
        }).findFirst().map(ProcessHandle::destroyForcibly).orElse(false);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(int port) throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("the Spark master did not start on port " + port, e);
                }
                Thread.sleep(200);
            }
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
