package io.jlora.io;

/**
 * A {@link TensorData} whose type and shape are fixed when it is made and whose bytes a subclass
 * streams on demand. It holds the two so that each kind of tensor (an array, a merged weight
 * computed late, seeded noise) says only how its bytes are made.
 */
public abstract class StreamedTensor implements TensorData {

    private final SafetensorsDtype dtype;
    private final long[] shape;

    protected StreamedTensor(SafetensorsDtype dtype, long[] shape) {
        this.dtype = dtype;
        this.shape = shape;
    }

    @Override
    public final SafetensorsDtype dtype() {
        return dtype;
    }

    @Override
    public final long[] shape() {
        return shape;
    }
}
