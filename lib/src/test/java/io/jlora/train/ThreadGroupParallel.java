package io.jlora.train;

import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/** A data-parallel group of threads in one process: sums in rank order, so every member gets the same bits. */
final class ThreadGroupParallel {

    private final int size;
    private final CyclicBarrier barrier;
    private final Object[] slots;

    ThreadGroupParallel(int size) {
        this.size = size;
        this.barrier = new CyclicBarrier(size);
        this.slots = new Object[size];
    }

    DataParallel member(int rank) {
        return new DataParallel() {
            @Override
            public int rank() {
                return rank;
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public void allReduceSum(float[] values) {
                slots[rank] = values.clone();
                await();
                float[] sum = new float[values.length];
                for (Object slot : slots) {
                    float[] v = (float[]) slot;
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += v[i];
                    }
                }
                await();
                System.arraycopy(sum, 0, values, 0, sum.length);
            }

            @Override
            public void allReduceSum(double[] values) {
                slots[rank] = values.clone();
                await();
                double[] sum = new double[values.length];
                for (Object slot : slots) {
                    double[] v = (double[]) slot;
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += v[i];
                    }
                }
                await();
                System.arraycopy(sum, 0, values, 0, sum.length);
            }
        };
    }

    private void await() {
        try {
            barrier.await();
        } catch (InterruptedException | BrokenBarrierException e) {
            throw new IllegalStateException(e);
        }
    }
}
