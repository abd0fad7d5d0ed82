package io.jlora.spark;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What data-parallel training sends per step: the summed LoRA gradients (r 16, all-linear) of a
 * Llama shape, through the ring all-reduce of two members over loopback, timed; then the step time
 * projected for N = 2..64 workers from the measured latency and per-byte cost beside one process's
 * step time (given). Usage: CommunicationBench NAME HIDDEN LAYERS KV_DIM MLP ONE_PROCESS_STEP_S [REPEATS]
 */
public final class CommunicationBench {

    private CommunicationBench() {}

    public static void main(String[] a) throws Exception {
        String name = a[0];
        long hidden = Long.parseLong(a[1]);
        long layers = Long.parseLong(a[2]);
        long kv = Long.parseLong(a[3]);
        long mlp = Long.parseLong(a[4]);
        double oneProcess = Double.parseDouble(a[5]);
        int repeats = a.length > 6 ? Integer.parseInt(a[6]) : 7;
        int r = 16;
        long perLayer = r * ((hidden + hidden) * 2 + (hidden + kv) * 2 + (hidden + mlp) * 3);
        int values = (int) (perLayer * layers);
        double[] small = time(1, repeats * 3);
        double[] big = time(values, repeats);
        double latency = median(small) / 2; // two rounds (reduce-scatter, all-gather) for 2 members
        double perByte = (median(big) - 2 * latency) / (values * 4.0 / 2 * 2); // each member sends half, twice
        System.out.printf("%s: %,d LoRA values (%.1f MB of float32 gradients) a step%n", name, values, values * 4 / 1e6);
        System.out.printf("  2 members on loopback: all-reduce median %.1f ms (min %.1f, max %.1f, %d repeats), %,d bytes sent per"
                + " member; latency %.3f ms a round, %.2f GB/s%n", median(big) * 1e3, min(big) * 1e3, max(big) * 1e3, repeats,
                values * 4L + 8, latency * 1e3, 1 / perByte / 1e9);
        System.out.printf("  projected step (global batch fixed; compute split N ways, ring cost 2(N-1) rounds + 2(N-1)/N of the"
                + " buffer):%n  %8s %12s %12s %12s %10s%n", "workers", "compute s", "comm s", "step s", "speed-up");
        System.out.printf("  %8d %12.3f %12.3f %12.3f %10.2f   (one process, measured)%n", 1, oneProcess, 0.0, oneProcess, 1.0);
        for (int n = 2; n <= 64; n *= 2) {
            double comm = 2 * (n - 1) * latency + 2.0 * (n - 1) / n * values * 4 * perByte;
            double step = oneProcess / n + comm;
            System.out.printf("  %8d %12.3f %12.3f %12.3f %10.2f%n", n, oneProcess / n, comm, step, oneProcess / step);
        }
    }

    /** Seconds of each of {@code repeats} all-reduces of {@code values} floats between two members. */
    private static double[] time(int values, int repeats) throws Exception {
        List<ServerSocket> sockets = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (int m = 0; m < 2; m++) {
            ServerSocket s = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            sockets.add(s);
            addresses.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<double[]>> members = new ArrayList<>();
            for (int m = 0; m < 2; m++) {
                int rank = m;
                members.add(pool.submit(() -> {
                    try (RingAllReduce ring = new RingAllReduce(rank, addresses, sockets.get(rank), 60_000)) {
                        float[] v = new float[values];
                        ring.allReduceSum(v); // warm-up
                        double[] seconds = new double[repeats];
                        for (int i = 0; i < repeats; i++) {
                            Arrays.fill(v, 1f);
                            long t = System.nanoTime();
                            ring.allReduceSum(v);
                            seconds[i] = (System.nanoTime() - t) / 1e9;
                        }
                        return seconds;
                    }
                }));
            }
            double[] first = members.get(0).get();
            members.get(1).get();
            return first;
        } finally {
            pool.shutdownNow();
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
