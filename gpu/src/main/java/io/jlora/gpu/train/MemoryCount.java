package io.jlora.gpu.train;

/** The bytes a backend's live buffers hold and the most they ever held (the peak a benchmark reports). */
public final class MemoryCount {

    private long inUse;
    private long peak;

    void allocated(long bytes) {
        inUse += bytes;
        peak = Math.max(peak, inUse);
    }

    void freed(long bytes) {
        inUse -= bytes;
    }

    public long inUse() {
        return inUse;
    }

    public long peak() {
        return peak;
    }
}
