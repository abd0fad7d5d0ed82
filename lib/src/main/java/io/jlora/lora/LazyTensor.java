package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.TensorData;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.function.Function;

/**
 * A tensor computed only when the writer reaches it, in a manager of its own that is closed right
 * after: streaming a model through a merge holds one tensor (and its temporaries) at a time.
 */
final class LazyTensor implements TensorData {

    private final SafetensorsDtype dtype;
    private final long[] shape;
    private final NDManager parent;
    private final Function<NDManager, NDArray> compute;

    /**
     * @param parent the manager whose sub-manager each computation gets
     * @param compute makes the tensor (of {@code shape}) in the given manager
     */
    LazyTensor(SafetensorsDtype dtype, long[] shape, NDManager parent, Function<NDManager, NDArray> compute) {
        this.dtype = dtype;
        this.shape = shape;
        this.parent = parent;
        this.compute = compute;
    }

    @Override
    public SafetensorsDtype dtype() {
        return dtype;
    }

    @Override
    public long[] shape() {
        return shape;
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
        try (NDManager m = parent.newSubManager()) {
            NDArray array = compute.apply(m);
            TensorData.of(array, dtype).writeTo(out);
        }
    }
}
