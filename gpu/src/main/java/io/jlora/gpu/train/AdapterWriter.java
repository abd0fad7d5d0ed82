package io.jlora.gpu.train;

import io.jlora.gpu.FlatParameters;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import io.jlora.lora.AdapterCheckpoint;
import io.jlora.lora.AdapterConfigJson;
import io.jlora.lora.LoraConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the GPU step's LoRA weights as PEFT's adapter folder (adapter_model.safetensors in F32 with
 * PEFT's keys, adapter_config.json as lib's CPU path writes it), so an adapter trained on the GPU loads
 * in PEFT and in jlora's CPU path alike. Each file is written to a temporary name and renamed.
 */
public final class AdapterWriter {

    private AdapterWriter() {
    }

    /** One fp32 tensor from a Java array. */
    private record F32(long[] shape, float[] values) implements TensorData {
        @Override
        public SafetensorsDtype dtype() {
            return SafetensorsDtype.F32;
        }

        @Override
        public void writeTo(WritableByteChannel out) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            TensorData.writeAll(out, b);
        }
    }

    /** An fp32 tensor for lib's safetensors writer. */
    static TensorData f32(long[] shape, float[] values) {
        return new F32(shape, values);
    }

    /** Writes the adapter files into a new folder {@code dir}. */
    public static void write(LoraParams lora, LoraConfig config, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        files(lora, config, dir);
    }

    /** The master LoRA weights by PEFT key, in the flat layout's order (the adapter's and a checkpoint's arrays). */
    static Map<String, TensorData> weights(LoraParams lora) {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (FlatParameters.Entry e : lora.layout().entries()) {
            tensors.put(e.key(), new F32(new long[] {e.rows(), e.cols()}, lora.get(e.key(), false)));
        }
        return tensors;
    }

    /** Writes the adapter files into the existing folder {@code dir}, each atomically, as lib's AdapterFiles does. */
    static void files(LoraParams lora, LoraConfig config, Path dir) {
        SafetensorsWriter.write(dir.resolve(AdapterCheckpoint.WEIGHTS_FILE), weights(lora), Map.of("format", "pt"));
        AdapterConfigJson.write(dir, AdapterConfigJson.toJson(config, modules(lora)));
    }

    /** all-linear resolved to module paths, layer by layer, as PEFT 0.21 and lib's AdapterFiles list them. */
    static java.util.List<String> modules(LoraParams lora) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int l = 0; l < lora.shape().layers(); l++) {
            for (BaseWeights.Proj p : BaseWeights.Proj.values()) {
                out.add("model.layers." + l + "." + p.path);
            }
        }
        return out;
    }
}
