package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.TensorData;
import io.jlora.model.CausalLm;
import io.jlora.model.Decoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a loaded model as a Hugging Face folder ({@code save_pretrained}'s layout, through
 * {@link HfFolderWriter}): the base folder's config.json and tokenizer files, and each decoder
 * parameter in the dtype the base checkpoint stores it in, produced one tensor at a time through a
 * {@link ParameterView} (the merged save applies the adapters there). Refuses the base folder itself
 * and, unless {@code overwrite}, a folder that is not empty.
 */
final class ModelWriter {

    /** A parameter as written: {@code array} itself or a new array in {@code into}. */
    interface ParameterView {
        NDArray apply(String key, NDArray array, NDManager into);
    }

    private ModelWriter() {}

    /** Writes {@code lm}'s parameters, each seen through {@code view}, as a folder at {@code out}; returns its files. */
    static List<Path> write(CausalLm lm, Path out, boolean overwrite, long maxShardBytes, ParameterView view) {
        Path base = lm.dir();
        Path configFile = base.resolve("config.json");
        ObjectNode config;
        try {
            config = (ObjectNode) new ObjectMapper().readTree(configFile.toFile());
        } catch (IOException | ClassCastException e) {
            throw new ModelFormatException(configFile, null, "cannot read: " + e.getMessage());
        }
        Decoder decoder = lm.decoder();
        try (OutputFolder folder = OutputFolder.open(out, overwrite, base);
                SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(base)) {
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            decoder.parameters().forEach((key, array) -> {
                SafetensorsDtype dtype = checkpoint.contains(key) ? checkpoint.info(key).dtype()
                        : SafetensorsDtype.of(array.getDataType());
                tensors.put(key, new LazyTensor(dtype, array.getShape().getShape(), decoder.manager(),
                        m -> view.apply(key, array, m)));
            });
            return HfFolderWriter.write(folder, config, base, tensors, maxShardBytes);
        }
    }
}
