package io.jlora.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.io.ModelFormatException;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import io.jlora.model.WeightSource;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Makes each projection of a checkpoint saved by bitsandbytes (or {@link BnbCheckpoint}) from
 * what is stored: 4-bit weights with their quant state, int8 weights with their SCB, plain float
 * weights for projections left unquantized. Nothing is dequantized while loading.
 */
final class BnbLinearFactory implements Float16HeadFactory {

    private final Path source;
    /** The transient float weights of this model's 4-bit projections. */
    private final WeightScratch scratch = new WeightScratch();

    /** {@code source}: the folder, named in errors. */
    BnbLinearFactory(Path source) {
        this.source = source;
    }

    /** As bitsandbytes keeps them: the embedding and the head in 16 bits. */
    @Override
    public DataType embeddingType() {
        return DataType.FLOAT16;
    }

    @Override
    public Linear create(String path, long out, long in, boolean hasBias, WeightSource weights) {
        String w = path + ".weight";
        NDArray bias = hasBias ? weights.get(path + ".bias", out) : null;
        for (FourBitType type : FourBitType.values()) {
            String stateKey = w + "." + BnbQuantState.key(type);
            if (weights.has(stateKey)) {
                return new QuantizedLinear(path, fourBit(w, stateKey, out, in, weights), bias, scratch);
            }
        }
        if (weights.has(path + ".SCB")) {
            NDArray codes = stored(weights, w, DataType.INT8, out, in);
            NDArray scb = stored(weights, path + ".SCB", DataType.FLOAT32, out);
            return new Int8Linear(path, codes, scb, bias);
        }
        return new DenseLinear(path, weights.get(w, out, in), bias);
    }

    private FourBitWeight fourBit(String w, String stateKey, long out, long in, WeightSource weights) {
        BnbQuantState state;
        try (NDArray json = weights.getStored(stateKey)) {
            state = BnbQuantState.parse(json.toByteArray(), source, stateKey);
        }
        if (!Arrays.equals(state.shape(), new long[] {out, in})) {
            throw new ModelFormatException(source, stateKey, "quant state shape " + Arrays.toString(state.shape())
                    + " does not match config.json, which implies [" + out + ", " + in + "]");
        }
        FourBitSpec spec = state.spec();
        long count = out * in;
        long blocks = (count + spec.blockSize() - 1) / spec.blockSize();
        NDArray packed = stored(weights, w, DataType.UINT8, (count + 1) / 2);
        checkTable(weights, w + ".quant_map", spec.type().code());
        if (!spec.doubleQuant()) {
            return new FourBitWeight(spec, new Shape(out, in), packed, stored(weights, w + ".absmax", DataType.FLOAT32, blocks),
                    null, null, 0f);
        }
        checkTable(weights, w + ".nested_quant_map", DynamicMap.signed());
        NDArray codes = stored(weights, w + ".absmax", DataType.UINT8, blocks);
        long nestedBlocks = (blocks + NestedAbsmax.BLOCK_SIZE - 1) / NestedAbsmax.BLOCK_SIZE;
        NDArray scales = stored(weights, w + ".nested_absmax", DataType.FLOAT32, nestedBlocks);
        return new FourBitWeight(spec, new Shape(out, in), packed, null, codes, scales, state.nestedOffset());
    }

    /** The stored tensor, checked to hold {@code shape}'s element count (any layout) of {@code type}, reshaped. */
    private NDArray stored(WeightSource weights, String key, DataType type, long... shape) {
        if (!weights.has(key)) {
            throw new ModelFormatException(source, key, "missing from the checkpoint");
        }
        NDArray a = weights.getStored(key);
        Shape expected = new Shape(shape);
        if (a.getShape().size() != expected.size()) {
            a.close();
            throw new ModelFormatException(source, key, "holds " + a.getShape() + ", expected " + expected);
        }
        if (a.getDataType() != type) {
            if (!type.isFloating() || !a.getDataType().isFloating()) {
                a.close();
                throw new ModelFormatException(source, key, "dtype " + a.getDataType() + ", expected " + type);
            }
            NDArray converted = a.toType(type, false);
            a.close();
            a = converted;
        }
        if (a.getShape().equals(expected)) {
            return a;
        }
        NDArray view = a.reshape(expected);
        a.close(); // the view keeps the storage alive
        return view;
    }

    /** bitsandbytes stores its code tables with each weight; ours must be the same table. */
    private void checkTable(WeightSource weights, String key, float[] ours) {
        if (!weights.has(key)) {
            return;
        }
        try (NDArray table = weights.getStored(key)) {
            float[] stored = table.toType(DataType.FLOAT32, false).toFloatArray();
            if (stored.length != ours.length) {
                throw new ModelFormatException(source, key, stored.length + " code values, expected " + ours.length);
            }
            for (int i = 0; i < ours.length; i++) {
                if (Math.abs(stored[i] - ours[i]) > 1e-6) {
                    throw new ModelFormatException(source, key, "code " + i + " is " + stored[i] + ", bitsandbytes' is "
                            + ours[i] + ": custom code tables are not supported");
                }
            }
        }
    }
}
