package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsFile;
import io.jlora.io.TensorInfo;
import io.jlora.model.CausalLm;
import io.jlora.model.Linear;
import io.jlora.testing.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Saving a quantized model in bitsandbytes' layout and loading it back as saved. */
class BnbCheckpointTest {

    private static final Path MODEL = TestFiles.golden("llama-tiny/model");
    private static final String Q = "model.layers.0.self_attn.q_proj";

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = Quantization.class, names = {"INT4", "NF4", "FP4", "INT8"})
    void reloadsAsSavedWithIdenticalLogits(Quantization q) throws Exception {
        Path out = tmp.resolve(q.label());
        try (CausalLm lm = QuantizedModels.load(MODEL, "cpu", "auto", q.label()); NDManager m = NDManager.newBaseManager()) {
            QuantizedModels.save(lm, out);
            NDArray ids = m.create(new long[] {3, 14, 15, 92, 65, 35}).reshape(1, 6);
            float[] before = lm.decoder().forward(ids).toFloatArray();
            // whatever --quantization says, a saved quantized folder loads as it was saved
            try (CausalLm back = QuantizedModels.load(out, "cpu", "auto", "none")) {
                Linear saved = lm.decoder().linear(Q);
                Linear loaded = back.decoder().linear(Q);
                assertEquals(saved.getClass(), loaded.getClass());
                if (q == Quantization.INT8) {
                    assertArrayEquals(((Int8Linear) saved).codes().toByteArray(), ((Int8Linear) loaded).codes().toByteArray());
                } else {
                    PackedFourBit a = ((QuantizedLinear) saved).quantized().toPacked();
                    PackedFourBit b = ((QuantizedLinear) loaded).quantized().toPacked();
                    assertEquals(a.spec(), b.spec());
                    assertArrayEquals(a.packed(), b.packed());
                    assertArrayEquals(a.blockAbsmax(), b.blockAbsmax());
                }
                assertArrayEquals(before, back.decoder().forward(ids).toFloatArray());
            }
        }
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        JsonNode qc = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("bitsandbytes", qc.get("quant_method").asText());
        assertEquals(q != Quantization.INT8, qc.get("load_in_4bit").asBoolean());
        assertEquals(q == Quantization.INT8, qc.get("load_in_8bit").asBoolean());
        if (q != Quantization.INT8) {
            assertEquals(q.fourBitSpec(64).type().label(), qc.get("bnb_4bit_quant_type").asText());
            assertEquals(q == Quantization.INT4, qc.get("bnb_4bit_use_double_quant").asBoolean());
        }
    }

    /** The keys, types and shapes that bitsandbytes' Linear4bit state dict has, and its JSON byte for byte. */
    @Test
    void fourBitKeysAreBitsandbytesOnes() {
        Path out = tmp.resolve("int4");
        float offset;
        try (CausalLm lm = QuantizedModels.load(MODEL, "cpu", "auto", "int4")) {
            offset = ((QuantizedLinear) lm.decoder().linear(Q)).quantized().nestedOffset();
            QuantizedModels.save(lm, out);
        }
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors")); NDManager m = NDManager.newBaseManager()) {
            String w = Q + ".weight";
            assertInfo(f.info(w), SafetensorsDtype.U8, 64 * 64 / 2, 1);
            assertInfo(f.info(w + ".absmax"), SafetensorsDtype.U8, 64 * 64 / 64);
            assertInfo(f.info(w + ".quant_map"), SafetensorsDtype.F32, 16);
            assertInfo(f.info(w + ".nested_absmax"), SafetensorsDtype.F32, 1);
            assertInfo(f.info(w + ".nested_quant_map"), SafetensorsDtype.F32, 256);
            assertArrayEquals(FourBitType.NF4.code(), f.load(w + ".quant_map", m).toFloatArray());
            String json = new String(f.load(w + ".quant_state.bitsandbytes__nf4", m).toByteArray(), StandardCharsets.UTF_8);
            assertEquals("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [64, 64], "
                    + "\"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": "
                    + PythonFloat.repr(offset) + "}", json);
            // unquantized parts keep their names; the head is float16 as the quantized load keeps it
            assertInfo(f.info("lm_head.weight"), SafetensorsDtype.F16, 320, 64);
            assertInfo(f.info("model.embed_tokens.weight"), SafetensorsDtype.F16, 320, 64);
            assertInfo(f.info("model.norm.weight"), SafetensorsDtype.F32, 64);
        }
    }

    @Test
    void int8KeysAreBitsandbytesOnes() {
        Path out = tmp.resolve("int8");
        try (CausalLm lm = QuantizedModels.load(MODEL, "cpu", "auto", "int8")) {
            QuantizedModels.save(lm, out);
        }
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertInfo(f.info(Q + ".weight"), SafetensorsDtype.I8, 64, 64);
            assertInfo(f.info(Q + ".SCB"), SafetensorsDtype.F32, 64);
            assertInfo(f.info(Q + ".weight_format"), SafetensorsDtype.U8);
        }
    }

    @Test
    void float16BasesSaveAsAPlainFloat16Checkpoint() throws Exception {
        Path out = tmp.resolve("f16");
        try (CausalLm lm = QuantizedModels.load(MODEL, "cpu", "auto", "float16")) {
            assertInstanceOf(Float16Linear.class, lm.decoder().linear(Q));
            QuantizedModels.save(lm, out);
        }
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertInfo(f.info(Q + ".weight"), SafetensorsDtype.F16, 64, 64);
        }
        assertTrue(!new ObjectMapper().readTree(out.resolve("config.json").toFile()).has("quantization_config"));
    }

    private static void assertInfo(TensorInfo info, SafetensorsDtype dtype, long... shape) {
        assertEquals(dtype, info.dtype(), info.key());
        assertArrayEquals(shape, info.shape(), info.key());
    }
}
