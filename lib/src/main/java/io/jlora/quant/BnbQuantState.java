package io.jlora.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The non-tensor part of a bitsandbytes 4-bit {@code QuantState}, which its
 * {@code as_dict(packed=True)} stores as a uint8 tensor of JSON under
 * {@code weight.quant_state.bitsandbytes__<nf4|fp4>}. Written byte for byte as Python's
 * {@code json.dumps} writes that dict (key order, ", " and ": " separators, float repr).
 *
 * @param dtype the dtype the weight had before quantization, as torch names it (float32, bfloat16)
 * @param nestedOffset used when {@code spec.doubleQuant()}
 */
record BnbQuantState(FourBitSpec spec, long[] shape, String dtype, float nestedOffset) {

    static final String KEY_PREFIX = "quant_state.bitsandbytes__";

    /** The state-dict suffix after {@code weight.}: quant_state.bitsandbytes__nf4 or __fp4. */
    static String key(FourBitType type) {
        return KEY_PREFIX + type.label();
    }

    String toJson() {
        StringBuilder sb = new StringBuilder("{\"quant_type\": \"").append(spec.type().label())
                .append("\", \"blocksize\": ").append(spec.blockSize())
                .append(", \"dtype\": \"").append(dtype).append("\", \"shape\": [");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? ", " : "").append(shape[i]);
        }
        sb.append(']');
        if (spec.doubleQuant()) {
            sb.append(", \"nested_blocksize\": ").append(NestedAbsmax.BLOCK_SIZE)
                    .append(", \"nested_dtype\": \"float32\", \"nested_offset\": ")
                    .append(PythonFloat.repr(nestedOffset));
        }
        return sb.append('}').toString();
    }

    byte[] toBytes() {
        return toJson().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses the stored bytes; {@code file} and {@code key} name them in errors. */
    static BnbQuantState parse(byte[] json, Path file, String key) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new ModelFormatException(file, key, "quant state is not valid JSON: " + e.getMessage(), e);
        }
        try {
            FourBitType type = FourBitType.parse(required(root, "quant_type", file, key).asText());
            int blockSize = required(root, "blocksize", file, key).asInt();
            JsonNode shapeNode = required(root, "shape", file, key);
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
            }
            boolean nested = root.has("nested_offset");
            if (nested && root.path("nested_blocksize").asInt(NestedAbsmax.BLOCK_SIZE) != NestedAbsmax.BLOCK_SIZE) {
                throw new ModelFormatException(file, key, "nested_blocksize " + root.get("nested_blocksize")
                        + " is not supported (only " + NestedAbsmax.BLOCK_SIZE + ")");
            }
            float offset = nested ? (float) root.get("nested_offset").asDouble() : 0f;
            return new BnbQuantState(new FourBitSpec(type, blockSize, nested), shape,
                    root.path("dtype").asText("float32"), offset);
        } catch (io.jlora.JloraException e) {
            if (e instanceof ModelFormatException) {
                throw e;
            }
            throw new ModelFormatException(file, key, e.getMessage(), e);
        }
    }

    private static JsonNode required(JsonNode root, String field, Path file, String key) {
        JsonNode n = root.get(field);
        if (n == null) {
            throw new ModelFormatException(file, key, "quant state has no '" + field + "'");
        }
        return n;
    }
}
