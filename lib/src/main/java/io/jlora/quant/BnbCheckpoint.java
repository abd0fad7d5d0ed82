package io.jlora.quant;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import io.jlora.model.CausalLm;
import io.jlora.model.Decoder;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model folder saved with quantized projections, in the layout transformers + bitsandbytes
 * write (so either can load the other's): for a 4-bit projection {@code P}, {@code P.weight} is the
 * packed uint8 [ceil(n/2), 1], beside {@code P.weight.absmax} (float32, or uint8 codes when
 * double-quantized), {@code P.weight.quant_map} [16], {@code P.weight.nested_absmax},
 * {@code P.weight.nested_quant_map} [256] and {@code P.weight.quant_state.bitsandbytes__nf4} (JSON
 * bytes); for an int8 projection {@code P.weight} int8, {@code P.SCB} (row absmax) and
 * {@code P.weight_format} (0, row-major). config.json gets transformers' bitsandbytes
 * {@code quantization_config}.
 */
final class BnbCheckpoint {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SIDE_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json");

    private BnbCheckpoint() {}

    /** True when {@code dir}'s config.json declares bitsandbytes quantization. */
    static boolean isQuantized(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return false;
        }
        try {
            return "bitsandbytes".equals(JSON.readTree(config.toFile()).path("quantization_config").path("quant_method").asText());
        } catch (IOException e) {
            throw new ModelFormatException(config, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    static void save(CausalLm lm, Path dir) {
        Decoder decoder = lm.decoder();
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        FourBitSpec fourBit = null;
        boolean int8 = false;
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            decoder.parameters().forEach((name, array) -> tensors.put(name, TensorData.of(array)));
            for (Linear linear : decoder.linears().values()) {
                String w = linear.path() + ".weight";
                if (linear instanceof QuantizedLinear q) {
                    fourBit = q.quantized().spec();
                    putFourBit(tensors, w, q.quantized(), decoder.dtype(), scratch);
                } else if (linear instanceof Int8Linear q) {
                    int8 = true;
                    tensors.put(w, TensorData.of(q.codes()));
                    tensors.put(linear.path() + ".SCB", TensorData.of(q.rowAbsmax()));
                    tensors.put(linear.path() + ".weight_format", TensorData.of(scratch.create(new byte[] {0}, new Shape())
                            .toType(DataType.UINT8, false)));
                } else if (linear instanceof Float16Linear f) {
                    boolean tiedHead = linear == decoder.linear("lm_head") && lm.config().tieWordEmbeddings();
                    if (!tensors.containsKey(w) && !tiedHead) {
                        tensors.put(w, TensorData.of(f.weight16()));
                    }
                } else if (linear instanceof DenseLinear) {
                    boolean tiedHead = linear == decoder.linear("lm_head") && lm.config().tieWordEmbeddings();
                    if (!tensors.containsKey(w) && !tiedHead) {
                        tensors.put(w, TensorData.of(linear.weight()));
                    }
                } else {
                    throw new JloraException(linear.path() + ": cannot save a " + linear.getClass().getSimpleName()
                            + " as a base weight (save adapters on their own, from the base model)");
                }
            }
            SafetensorsWriter.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
        }
        writeConfig(lm.dir(), dir, fourBit, int8, decoder.dtype());
        copySideFiles(lm.dir(), dir);
    }

    private static void putFourBit(Map<String, TensorData> tensors, String w, FourBitWeight q, DataType dtype,
            NDManager scratch) {
        long bytes = q.packed().getShape().size();
        tensors.put(w, reshaped(TensorData.of(q.packed()), bytes, 1));
        FourBitSpec spec = q.spec();
        if (spec.doubleQuant()) {
            tensors.put(w + ".absmax", TensorData.of(q.nestedCodes()));
        } else {
            tensors.put(w + ".absmax", TensorData.of(q.absmax()));
        }
        tensors.put(w + ".quant_map", TensorData.of(scratch.create(spec.type().code())));
        if (spec.doubleQuant()) {
            tensors.put(w + ".nested_absmax", TensorData.of(q.nestedScales()));
            tensors.put(w + ".nested_quant_map", TensorData.of(scratch.create(DynamicMap.signed())));
        }
        BnbQuantState state = new BnbQuantState(spec, q.shape().getShape(), torchName(dtype), q.nestedOffset());
        byte[] json = state.toBytes();
        tensors.put(w + "." + BnbQuantState.key(spec.type()),
                TensorData.of(scratch.create(ByteBuffer.wrap(json), new Shape(json.length), DataType.UINT8)));
    }

    /** The same bytes under another shape (bitsandbytes keeps packed weights as [n, 1]). */
    private static TensorData reshaped(TensorData t, long... shape) {
        return new TensorData() {
            @Override
            public SafetensorsDtype dtype() {
                return t.dtype();
            }

            @Override
            public long[] shape() {
                return shape;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                t.writeTo(out);
            }
        };
    }

    private static void writeConfig(Path from, Path to, FourBitSpec fourBit, boolean int8, DataType dtype) {
        Path source = from.resolve("config.json");
        try {
            ObjectNode config = (ObjectNode) JSON.readTree(source.toFile());
            config.remove("quantization_config");
            if (fourBit != null || int8) {
                config.set("quantization_config", quantizationConfig(fourBit, int8, dtype));
            }
            Files.createDirectories(to);
            JSON.writerWithDefaultPrettyPrinter().writeValue(to.resolve("config.json").toFile(), config);
        } catch (IOException | ClassCastException e) {
            throw new ModelFormatException(source, null, "cannot rewrite for the quantized model: " + e.getMessage(), e);
        }
    }

    /** transformers' {@code BitsAndBytesConfig.to_dict()}, so that transformers loads the folder as saved. */
    private static JsonNode quantizationConfig(FourBitSpec fourBit, boolean int8, DataType dtype) {
        ObjectNode q = JSON.createObjectNode();
        q.put("quant_method", "bitsandbytes");
        q.put("_load_in_4bit", fourBit != null);
        q.put("_load_in_8bit", fourBit == null && int8);
        q.put("bnb_4bit_compute_dtype", torchName(dtype));
        q.put("bnb_4bit_quant_storage", "uint8");
        q.put("bnb_4bit_quant_type", fourBit != null ? fourBit.type().label() : "fp4");
        q.put("bnb_4bit_use_double_quant", fourBit != null && fourBit.doubleQuant());
        q.put("llm_int8_enable_fp32_cpu_offload", false);
        q.put("llm_int8_has_fp16_weight", false);
        q.putNull("llm_int8_skip_modules");
        q.put("llm_int8_threshold", 6.0);
        q.put("load_in_4bit", fourBit != null);
        q.put("load_in_8bit", fourBit == null && int8);
        return q;
    }

    private static String torchName(DataType dtype) {
        return dtype == DataType.FLOAT16 ? "float16" : "float32";
    }

    private static void copySideFiles(Path from, Path to) {
        for (String name : SIDE_FILES) {
            Path source = from.resolve(name);
            if (Files.isRegularFile(source) && !source.toAbsolutePath().normalize().equals(to.resolve(name).toAbsolutePath().normalize())) {
                try {
                    Files.copy(source, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new ModelFormatException(to.resolve(name), null, "cannot copy: " + e.getMessage(), e);
                }
            }
        }
    }
}
