package io.jlora.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What an accepted config.json must have meant: every size key present holds exactly the integer
 * the model was built with. Catches a reader that accepts a value it misread (an int cast that
 * turns 2^32 + 16 into 16), which no exception would reveal.
 */
final class ConfigOracle {

    private ConfigOracle() {}

    static void check(Path configFile, ModelConfig c) throws IOException {
        JsonNode root = JsonMutator.JSON.readTree(Files.readAllBytes(configFile));
        Map<String, Long> read = Map.of("hidden_size", (long) c.hiddenSize(), "num_hidden_layers", (long) c.layers(),
                "num_attention_heads", (long) c.heads(), "num_key_value_heads", (long) c.kvHeads(),
                "head_dim", (long) c.headDim(), "intermediate_size", (long) c.intermediateSize(),
                "vocab_size", (long) c.vocabSize(), "max_position_embeddings", (long) c.maxPositions());
        read.forEach((key, value) -> {
            JsonNode v = root.get(key);
            if (v != null && !v.isNull() && !(v.isIntegralNumber() && v.canConvertToLong() && v.asLong() == value)) {
                throw new AssertionError(configFile + " [" + key + "]: accepted " + v + " as " + value);
            }
        });
    }
}
