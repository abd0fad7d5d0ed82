package io.jlora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of the tokens seen so far, per layer, after rotary and before the grouped-query
 * expansion (so it stores kvHeads, not heads). The arrays belong to this cache's own manager, so a
 * generation step's temporaries can be closed after each token while the cache lives on.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Tokens cached so far; the next token's position. */
    public long length() {
        return length;
    }

    /**
     * Appends this step's keys/values [batch, kvHeads, time, headDim] for one layer and returns
     * the full ones. The last layer's call advances {@link #length()}.
     */
    NDList append(int layer, NDArray k, NDArray v) {
        keys[layer] = grow(keys[layer], k);
        values[layer] = grow(values[layer], v);
        if (layer == keys.length - 1) {
            length = keys[layer].getShape().get(2);
        }
        return new NDList(keys[layer], values[layer]);
    }

    private NDArray grow(NDArray old, NDArray step) {
        NDArray grown = old == null ? step : old.concat(step, 2);
        grown.attach(manager);
        if (old != null) {
            old.close();
        }
        return grown;
    }

    @Override
    public void close() {
        manager.close();
    }
}
