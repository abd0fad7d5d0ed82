package io.jlora.train;

import java.util.Arrays;
import java.util.Random;

/**
 * The order examples are visited in: epoch after epoch, each a permutation drawn from the run's
 * seed and the epoch number (so a position, epoch and offset, is all a checkpoint needs to carry
 * on exactly), cut into micro-batches; an epoch's last micro-batch may be smaller (drop_last off).
 */
public final class DataOrder {

    private final int size;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private int epoch;
    private int offset;
    private int[] permutation;

    public DataOrder(int size, int batchSize, long seed, boolean shuffle) {
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    public int epoch() {
        return epoch;
    }

    public int offset() {
        return offset;
    }

    /** Epochs completed, fractional. */
    public double progress() {
        return epoch + (double) offset / size;
    }

    /** Micro-batches in one epoch. */
    public int microBatchesPerEpoch() {
        return (size + batchSize - 1) / batchSize;
    }

    /** Moves to a saved position. */
    public void seek(int epoch, int offset) {
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException("data position " + offset + " outside 0.." + size);
        }
        this.epoch = epoch;
        this.offset = offset;
        this.permutation = null;
    }

    /** Indices of the next micro-batch. */
    public int[] next() {
        if (offset >= size) {
            epoch++;
            offset = 0;
            permutation = null;
        }
        if (permutation == null) {
            permutation = permutation(epoch);
        }
        int n = Math.min(batchSize, size - offset);
        int[] out = Arrays.copyOfRange(permutation, offset, offset + n);
        offset += n;
        return out;
    }

    private int[] permutation(int e) {
        int[] p = new int[size];
        for (int i = 0; i < size; i++) {
            p[i] = i;
        }
        if (shuffle) {
            Random r = new Random(Seeds.mix(seed, 0x5EED_DA7AL, e));
            for (int i = size - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
        }
        return p;
    }
}
