package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.io.SafetensorsFile;
import io.jlora.model.CausalLm;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import io.jlora.model.LinearFactory;
import io.jlora.model.WeightSource;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The golden llama-tiny model loaded quantized (every decoder-layer projection, not lm_head)
 * computes what the float model computes with each of those weights replaced by its 4-bit round
 * trip dequant(quant(W)) (and its embedding and head in float16, as a quantized load keeps them):
 * the quantized layers add no error of their own.
 */
class QloraGoldenTest {

    /** Float projections, the embedding and head in float16 as a quantized load keeps them. */
    private static final LinearFactory FLOAT16_EMBEDDING = new LinearFactory() {
        @Override
        public Linear create(String path, long out, long in, boolean bias, WeightSource weights) {
            return LinearFactory.DENSE.create(path, out, in, bias, weights);
        }

        @Override
        public DataType embeddingType() {
            return DataType.FLOAT16;
        }

        @Override
        public Linear head(String path, NDArray weight, NDArray bias) {
            return new Float16Linear(path, weight, bias);
        }
    };

    private static final Path DIR = TestFiles.golden("llama-tiny");

    @ParameterizedTest
    @EnumSource(value = Quantization.class, names = {"INT4", "NF4", "FP4"})
    void logitsEqualTheFloatModelWithRoundTrippedWeights(Quantization q) {
        FourBitSpec spec = q.fourBitSpec(FourBitSpec.DEFAULT_BLOCK_SIZE);
        try (CausalLm quantized = QuantizedModels.load(DIR.resolve("model"), "cpu", "auto", q.label());
                CausalLm reference = CausalLm.load(DIR.resolve("model"), "cpu", "auto", FLOAT16_EMBEDDING);
                SafetensorsFile cases = SafetensorsFile.open(DIR.resolve("cases.safetensors"));
                NDManager m = NDManager.newBaseManager()) {
            long floatBytes = 0;
            long packedBytes = 0;
            for (Map.Entry<String, Linear> e : quantized.decoder().linears().entrySet()) {
                if (e.getKey().equals("lm_head")) {
                    assertInstanceOf(Float16Linear.class, e.getValue(), "the head stays dense, in float16");
                    continue;
                }
                QuantizedLinear ql = assertInstanceOf(QuantizedLinear.class, e.getValue(), e.getKey());
                assertEquals(spec, ql.quantized().spec());
                floatBytes += 4 * ql.inFeatures() * ql.outFeatures();
                packedBytes += ql.quantized().storageBytes();
                reference.decoder().replaceLinear(e.getKey(), dense -> roundTripped(dense, spec));
            }
            assertTrue(packedBytes < floatBytes * (spec.bitsPerWeight() / 32) * 1.01,
                    "4-bit storage " + packedBytes + " B for " + floatBytes + " B of float32");

            NDArray ids = cases.load("input_ids", m);
            NDArray logits = quantized.decoder().forward(ids);
            double vsRoundTrip = TestFiles.maxAbsDiff(reference.decoder().forward(ids), logits);
            double vsFloat = TestFiles.maxAbsDiff(cases.load("logits_base", m), logits);
            System.out.printf("%s: max |logits - round-trip reference| = %.2e, max |logits - float model| = %.2e%n",
                    q.label(), vsRoundTrip, vsFloat);
            assertTrue(vsRoundTrip < 1e-4, "vs round-trip reference: " + vsRoundTrip);
            // quantization does change the logits, but not wildly (the logits span about +-1)
            assertTrue(vsFloat > 1e-4 && vsFloat < 0.5, "vs the float model: " + vsFloat);
        }
    }

    private static Linear roundTripped(Linear dense, FourBitSpec spec) {
        NDArray w = dense.weight();
        long[] shape = w.getShape().getShape();
        PackedFourBit packed = FourBitQuantizer.quantize(w.toFloatArray(), shape, spec);
        NDArray back = w.getManager().create(packed.dequantize(), new Shape(shape));
        return new DenseLinear(dense.path(), back, dense.bias());
    }
}
