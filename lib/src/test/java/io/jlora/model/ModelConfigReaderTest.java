package io.jlora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.io.ModelFormatException;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigReaderTest {

    @TempDir
    Path tmp;

    private static final String BASE = "\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
            + " \"intermediate_size\": 96, \"vocab_size\": 128";

    @Test
    void transformers5GoldenConfig() {
        ModelConfig c = ModelConfigReader.read(TestFiles.golden("llama-tiny/model"));
        assertEquals(Family.LLAMA, c.family());
        assertEquals(64, c.hiddenSize());
        assertEquals(4, c.heads());
        assertEquals(2, c.kvHeads());
        assertEquals(16, c.headDim());
        assertEquals(2, c.groupSize());
        assertEquals(176, c.intermediateSize());
        assertEquals(320, c.vocabSize());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(RopeConfig.plain(10000.0), c.rope());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.qkvBias());
        assertEquals(0L, c.bosTokenId());
        assertEquals(List.of(0L), c.eosTokenIds());
        assertEquals(1L, c.padTokenId());
        assertEquals("float32", c.torchDtype());
    }

    @Test
    void transformers4LayoutWithLlama3Scaling() throws IOException {
        ModelConfig c = read("{\"model_type\": \"llama\", " + BASE + ", \"rope_theta\": 500000.0,"
                + " \"rope_scaling\": {\"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"},"
                + " \"eos_token_id\": [128001, 128008, 128009], \"tie_word_embeddings\": true}");
        assertEquals(new RopeConfig(500000.0, RopeConfig.Type.LLAMA3, 32, 1, 4, 8192), c.rope());
        assertEquals(List.of(128001L, 128008L, 128009L), c.eosTokenIds());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(4, c.kvHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals(16, c.headDim(), "head_dim defaults to hidden / heads");
        assertEquals(1e-6, c.rmsNormEps());
        assertNull(c.bosTokenId());
    }

    @Test
    void transformers5LayoutWithLinearScaling() throws IOException {
        ModelConfig c = read("{\"model_type\": \"mistral\", " + BASE + ", \"sliding_window\": 4096,"
                + " \"rope_parameters\": {\"rope_theta\": 1000.0, \"rope_type\": \"linear\", \"factor\": 2.0}}");
        assertEquals(new RopeConfig(1000.0, RopeConfig.Type.LINEAR, 2, 0, 0, 0), c.rope());
        assertEquals(4096, c.slidingWindow());
    }

    @Test
    void llama3FrequenciesFollowTheFormula() {
        RopeConfig r = new RopeConfig(10000, RopeConfig.Type.LLAMA3, 8, 1, 4, 32);
        float[] plain = RopeConfig.plain(10000).inverseFrequencies(16);
        float[] scaled = r.inverseFrequencies(16);
        assertEquals(plain[0], scaled[0], "wavelength 6.3 < 8: kept");
        assertEquals(plain[7] / 8, scaled[7], 1e-12, "wavelength > 32: divided by the factor");
        double wavelen = 2 * Math.PI / plain[1]; // 20.1, between 8 and 32: interpolated
        double smooth = (32 / wavelen - 1) / 3;
        assertEquals((1 - smooth) * plain[1] / 8 + smooth * plain[1], scaled[1], 1e-7);
    }

    @Test
    void familyOptions() throws IOException {
        ModelConfig qwen2 = read("{\"model_type\": \"qwen2\", " + BASE + ", \"num_key_value_heads\": 2}");
        assertTrue(qwen2.qkvBias(), "Qwen2 always has q/k/v biases");
        assertFalse(qwen2.outputBias());
        assertFalse(qwen2.qkNorm());
        ModelConfig qwen3 = read("{\"model_type\": \"qwen3\", " + BASE + ", \"head_dim\": 32}");
        assertTrue(qwen3.qkNorm());
        assertFalse(qwen3.qkvBias());
        assertEquals(32, qwen3.headDim());
        ModelConfig llama = read("{\"model_type\": \"llama\", " + BASE + ", \"attention_bias\": true, \"mlp_bias\": true}");
        assertTrue(llama.qkvBias() && llama.outputBias() && llama.mlpBias());
        ModelConfig mistral = read("{\"model_type\": \"mistral\", " + BASE + ", \"attention_bias\": true}");
        assertFalse(mistral.qkvBias(), "Mistral has no attention biases");
    }

    @Test
    void missingRequiredKeyNamesFileAndKey() throws IOException {
        for (String key : new String[] {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "vocab_size"}) {
            String json = "{\"model_type\": \"llama\", " + BASE.replaceAll("\"" + key + "\": \\d+,? ?", "") + "}";
            ModelFormatException e = fails(json.replace(", }", "}"));
            assertEquals(key, e.key());
            assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains(key), e.getMessage());
        }
        assertEquals("model_type", fails("{" + BASE + "}").key());
    }

    @Test
    void unsupportedModelTypeListsSupportedOnes() throws IOException {
        ModelFormatException e = fails("{\"model_type\": \"gpt2\", " + BASE + "}");
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("llama, mistral, qwen2, qwen3"), e.getMessage());
    }

    @Test
    void otherBadValues() throws IOException {
        assertTrue(fails("{\"model_type\": \"llama\", " + BASE + ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}")
                .getMessage().contains("yarn"));
        assertEquals("rope_scaling.factor", fails("{\"model_type\": \"llama\", " + BASE
                + ", \"rope_scaling\": {\"rope_type\": \"linear\"}}").key());
        assertEquals("num_key_value_heads", fails("{\"model_type\": \"llama\", " + BASE + ", \"num_key_value_heads\": 3}").key());
        assertEquals("hidden_act", fails("{\"model_type\": \"llama\", " + BASE + ", \"hidden_act\": \"gelu\"}").key());
        assertEquals("hidden_size", fails("{\"model_type\": \"llama\", " + BASE.replace("64", "\"64\"") + "}").key());
        assertEquals("use_sliding_window", fails("{\"model_type\": \"qwen2\", " + BASE + ", \"use_sliding_window\": true}").key());
        assertThrows(ModelFormatException.class, () -> ModelConfigReader.read(tmp.resolve("absent")));
        Files.writeString(tmp.resolve("config.json"), "{not json");
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelConfigReader.read(tmp)).getMessage().contains("config.json"));
    }

    private ModelConfig read(String json) throws IOException {
        Files.writeString(tmp.resolve("config.json"), json);
        return ModelConfigReader.read(tmp);
    }

    /** The issue-17 families' bad values name the key, nested ones with their path. */
    @Test
    void newFamiliesBadValuesNameTheKey() throws IOException {
        assertEquals("layer_types", fails("{\"model_type\": \"gemma2\", " + BASE
                + ", \"layer_types\": [\"sliding_attention\"]}").key());
        assertEquals("layer_types", fails("{\"model_type\": \"gemma3_text\", " + BASE
                + ", \"layer_types\": [\"chunked_attention\", \"full_attention\"]}").key());
        assertEquals("hidden_activation", fails("{\"model_type\": \"gemma2\", " + BASE
                + ", \"hidden_activation\": \"relu\"}").key());
        assertEquals("text_config", fails("{\"model_type\": \"gemma3\", " + BASE + "}").key());
        assertEquals("text_config.vocab_size", fails("{\"model_type\": \"gemma3\", \"text_config\": {"
                + BASE.replace(", \"vocab_size\": 128", "") + "}}").key());
        assertEquals("rope_scaling.short_factor", fails("{\"model_type\": \"phi3\", " + BASE
                + ", \"rope_scaling\": {\"type\": \"longrope\", \"long_factor\": [1, 2]}}").key());
        assertEquals("no_rope_layers", fails("{\"model_type\": \"smollm3\", " + BASE
                + ", \"no_rope_layers\": [1, 0, 1]}").key());
        assertEquals("partial_rotary_factor", fails("{\"model_type\": \"phi3\", " + BASE
                + ", \"partial_rotary_factor\": 1.5}").key());
    }

    /** Gemma 3 without layer_types: transformers' default sliding_window_pattern 6 and rope bases. */
    @Test
    void gemma3Defaults() throws IOException {
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"gemma3_text\", "
                + BASE.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 12") + "}");
        ModelConfig c = ModelConfigReader.read(tmp);
        for (int i = 0; i < 12; i++) {
            assertEquals(i % 6 != 5, c.slidingLayer(i), "layer " + i);
        }
        assertEquals(4096, c.slidingWindow());
        assertEquals(1e6, c.rope().theta());
        assertEquals(1e4, c.ropeOf(0).theta());
        assertEquals(256, c.headDim());
        assertTrue(c.tieWordEmbeddings() && c.qkNorm());
        assertEquals(1 / Math.sqrt(256), c.attentionScale(), 1e-12);
        assertNull(c.options().attnSoftcap());
    }

    private ModelFormatException fails(String json) throws IOException {
        Files.writeString(tmp.resolve("config.json"), json);
        return assertThrows(ModelFormatException.class, () -> ModelConfigReader.read(tmp));
    }
}
