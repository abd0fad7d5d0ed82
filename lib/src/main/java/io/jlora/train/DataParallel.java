package io.jlora.train;

/**
 * The group of processes (or threads) that train one model data-parallel: each holds the same
 * trainable weights and optimizer state, takes its share of every micro-batch, and the group sums
 * the gradients so that every member applies the same update (PyTorch DDP's contract). LoRA suits
 * this well: only the adapter's gradients cross the network.
 *
 * <p>Implementations must give every member bitwise the same sums (a ring all-reduce does: each
 * chunk is reduced once, then copied), or the members' weights drift apart.
 */
public interface DataParallel {

    /** This member's position, 0 .. size-1; member 0 writes checkpoints and reports metrics. */
    int rank();

    /** Members in the group. */
    int size();

    /** Replaces {@code values} by their element-wise sum over the group. */
    void allReduceSum(float[] values);

    /** Replaces {@code values} by their element-wise sum over the group. */
    void allReduceSum(double[] values);

    /**
     * The rows of a global micro-batch of {@code n} rows that member {@code rank} of {@code size}
     * takes: a contiguous slice, sizes differing by at most one; {@code [from, to)}.
     */
    static int[] slice(int n, int rank, int size) {
        int base = n / size;
        int extra = n % size;
        int from = rank * base + Math.min(rank, extra);
        return new int[] {from, from + base + (rank < extra ? 1 : 0)};
    }
}
