package io.jlora.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The ring over loopback: every member ends with the element-wise sum, bit for bit the same on all. */
class RingAllReduceTest {

    @Test
    void threeMembersSumFloatsAndDoublesAlike() throws Exception {
        int members = 3;
        int length = 1001; // not a multiple of 3: uneven chunks
        Random r = new Random(1);
        float[][] inputs = new float[members][length];
        double[] expected = new double[length];
        for (int m = 0; m < members; m++) {
            for (int i = 0; i < length; i++) {
                inputs[m][i] = (float) r.nextGaussian();
                expected[i] += inputs[m][i];
            }
        }
        List<ServerSocket> sockets = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            ServerSocket s = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            sockets.add(s);
            addresses.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(members);
        try {
            List<Future<Object[]>> results = new ArrayList<>();
            for (int m = 0; m < members; m++) {
                int rank = m;
                results.add(pool.submit(() -> {
                    try (RingAllReduce ring = new RingAllReduce(rank, addresses, sockets.get(rank), 30_000)) {
                        float[] v = inputs[rank].clone();
                        ring.allReduceSum(v);
                        double[] d = {rank, 1.5 * rank, 1};
                        ring.allReduceSum(d);
                        return new Object[] {v, d, ring.bytesSent()};
                    }
                }));
            }
            float[] first = (float[]) results.get(0).get()[0];
            for (int i = 0; i < length; i++) {
                assertEquals(expected[i], first[i], 1e-5, "element " + i);
            }
            for (Future<Object[]> f : results) {
                Object[] got = f.get();
                assertArrayEquals(first, (float[]) got[0], 0f, "members hold different sums");
                assertArrayEquals(new double[] {3, 4.5, 3}, (double[]) got[1], 0);
                // 2 (N-1)/N of the floats plus the doubles, with a 4-byte length per chunk sent
                long floats = 2L * (members - 1) * ((length + members - 1) / members) * 4;
                assertEquals(true, (long) got[2] <= floats + 2L * (members - 1) * (4 + 8 + 4) + 64, "bytes sent " + got[2]);
            }
        } finally {
            pool.shutdownNow();
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }
}
