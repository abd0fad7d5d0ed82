package io.jlora.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes random models of any supported family and shape as a Hugging Face folder (config.json in
 * the transformers 4 layout, model.safetensors or shards with an index, tokenizer files), for tests
 * and benchmarks. Weights are generated while written, tensor by tensor, so even a billion-parameter
 * model needs little memory. The same spec and seed always give the same bytes.
 */
public final class RandomModels {

    /** The families this writer knows (the others are checked against transformers' own tiny models). */
    public static final java.util.Set<Family> WRITTEN = java.util.EnumSet.of(Family.LLAMA, Family.MISTRAL,
            Family.QWEN2, Family.QWEN3);


    private RandomModels() {}

    /**
     * What to generate. {@link #of} gives the family's usual options; the {@code with} methods
     * change one.
     *
     * @param headDim 0 for hidden / heads
     * @param std standard deviation of the uniform noise of weights and biases
     * @param shardBytes 0 for a single model.safetensors, else the largest shard's size
     * @param tokenizerSource a tokenizer.json to copy, or null to generate a byte-level one (which
     *     needs vocab >= 258; smaller vocabularies get no tokenizer)
     */
    public record Spec(Family family, int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab,
            long seed, int headDim, boolean tied, boolean attentionBias, SafetensorsDtype dtype, RopeConfig rope,
            Integer slidingWindow, double std, long shardBytes, Path tokenizerSource) {

        public static Spec of(Family family, int hidden, int layers, int heads, int kvHeads, int intermediate,
                int vocab, long seed) {
            boolean tied = family == Family.QWEN2 || family == Family.QWEN3;
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, 0, tied, false,
                    SafetensorsDtype.F32, RopeConfig.plain(family == Family.QWEN2 || family == Family.QWEN3 ? 1e6 : 1e4),
                    null, 0.02, 0, null);
        }

        public Spec withHeadDim(int d) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, d, tied, attentionBias,
                    dtype, rope, slidingWindow, std, shardBytes, tokenizerSource);
        }

        public Spec withTied(boolean t) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, t, attentionBias,
                    dtype, rope, slidingWindow, std, shardBytes, tokenizerSource);
        }

        public Spec withAttentionBias(boolean b) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, tied, b,
                    dtype, rope, slidingWindow, std, shardBytes, tokenizerSource);
        }

        public Spec withDtype(SafetensorsDtype d) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, tied, attentionBias,
                    d, rope, slidingWindow, std, shardBytes, tokenizerSource);
        }

        public Spec withRope(RopeConfig r) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, tied, attentionBias,
                    dtype, r, slidingWindow, std, shardBytes, tokenizerSource);
        }

        public Spec withSlidingWindow(Integer w) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, tied, attentionBias,
                    dtype, rope, w, std, shardBytes, tokenizerSource);
        }

        public Spec withStd(double s) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, tied, attentionBias,
                    dtype, rope, slidingWindow, s, shardBytes, tokenizerSource);
        }

        public Spec withShardBytes(long b) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, tied, attentionBias,
                    dtype, rope, slidingWindow, std, b, tokenizerSource);
        }

        public Spec withTokenizer(Path source) {
            return new Spec(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed, headDim, tied, attentionBias,
                    dtype, rope, slidingWindow, std, shardBytes, source);
        }

        int resolvedHeadDim() {
            return headDim > 0 ? headDim : hidden / heads;
        }

        boolean qkvBias() {
            return family == Family.QWEN2 || (attentionBias && family != Family.MISTRAL);
        }

        boolean outputBias() {
            return attentionBias && (family == Family.LLAMA || family == Family.QWEN3);
        }
    }

    /** A model of {@code family} and this shape with the family's usual options, in float32. */
    public static Path write(Path dir, Family family, int hidden, int layers, int heads, int kvHeads,
            int intermediate, int vocab, long seed) {
        return write(dir, Spec.of(family, hidden, layers, heads, kvHeads, intermediate, vocab, seed));
    }

    /** Writes the model folder {@code dir} and returns it. */
    public static Path write(Path dir, Spec spec) {
        try {
            Files.createDirectories(dir);
            boolean tokenizer = spec.tokenizerSource() != null || spec.vocab() >= ByteLevelTokenizerJson.SIZE;
            writeConfig(dir, spec, tokenizer);
            writeWeights(dir, spec);
            if (spec.tokenizerSource() != null) {
                Files.copy(spec.tokenizerSource(), dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            } else if (tokenizer) {
                ByteLevelTokenizerJson.write(dir.resolve("tokenizer.json"));
                ObjectNode tc = new ObjectMapper().createObjectNode();
                tc.put("tokenizer_class", "PreTrainedTokenizerFast");
                tc.put("eos_token", "<|endoftext|>");
                tc.put("pad_token", "<|pad|>");
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tc);
            }
            return dir;
        } catch (IOException e) {
            throw new JloraException("cannot write random model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Parameter names and shapes in transformers' order, for the config this spec produces. */
    static Map<String, long[]> shapes(Spec s) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long hidden = s.hidden();
        long d = s.resolvedHeadDim();
        long q = s.heads() * d;
        long kv = s.kvHeads() * d;
        m.put("model.embed_tokens.weight", new long[] {s.vocab(), hidden});
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", new long[] {hidden});
            linear(m, p + "self_attn.q_proj", q, hidden, s.qkvBias());
            linear(m, p + "self_attn.k_proj", kv, hidden, s.qkvBias());
            linear(m, p + "self_attn.v_proj", kv, hidden, s.qkvBias());
            linear(m, p + "self_attn.o_proj", hidden, q, s.outputBias());
            if (s.family() == Family.QWEN3) {
                m.put(p + "self_attn.q_norm.weight", new long[] {d});
                m.put(p + "self_attn.k_norm.weight", new long[] {d});
            }
            m.put(p + "post_attention_layernorm.weight", new long[] {hidden});
            linear(m, p + "mlp.gate_proj", s.intermediate(), hidden, false);
            linear(m, p + "mlp.up_proj", s.intermediate(), hidden, false);
            linear(m, p + "mlp.down_proj", hidden, s.intermediate(), false);
        }
        m.put("model.norm.weight", new long[] {hidden});
        if (!s.tied()) {
            m.put("lm_head.weight", new long[] {s.vocab(), hidden});
        }
        return m;
    }

    private static void linear(Map<String, long[]> m, String path, long out, long in, boolean bias) {
        m.put(path + ".weight", new long[] {out, in});
        if (bias) {
            m.put(path + ".bias", new long[] {out});
        }
    }

    private static void writeWeights(Path dir, Spec s) throws IOException {
        // uniform noise of the requested standard deviation; norms scatter around 1 so that a
        // norm that is skipped or misapplied changes the outputs
        float halfWidth = (float) (s.std() * Math.sqrt(3));
        List<Map<String, TensorData>> shards = new ArrayList<>();
        Map<String, TensorData> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long index = 0;
        for (Map.Entry<String, long[]> e : shapes(s).entrySet()) {
            long bytes = s.dtype().bytes();
            for (long dim : e.getValue()) {
                bytes *= dim;
            }
            if (s.shardBytes() > 0 && !current.isEmpty() && currentBytes + bytes > s.shardBytes()) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            boolean norm = e.getKey().endsWith("norm.weight");
            long seed = s.seed() * 1_000_003L + index++;
            current.put(e.getKey(), new RandomTensor(s.dtype(), e.getValue(), seed, norm ? 1f : 0f,
                    norm ? 0.1f : halfWidth));
            currentBytes += bytes;
        }
        shards.add(current);
        if (shards.size() == 1) {
            SafetensorsWriter.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE), current, Map.of("format", "pt"));
            return;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode indexJson = json.createObjectNode();
        indexJson.putObject("metadata");
        ObjectNode weightMap = indexJson.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafetensorsWriter.write(dir.resolve(name), shards.get(i), Map.of("format", "pt"));
            for (String key : shards.get(i).keySet()) {
                weightMap.put(key, name);
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(SafetensorsCheckpoint.INDEX_FILE).toFile(), indexJson);
    }

    private static void writeConfig(Path dir, Spec s, boolean tokenizer) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        String arch = switch (s.family()) {
            case LLAMA -> "LlamaForCausalLM";
            case MISTRAL -> "MistralForCausalLM";
            case QWEN2 -> "Qwen2ForCausalLM";
            case QWEN3 -> "Qwen3ForCausalLM";
            default -> throw new IllegalArgumentException("random models are written for " + WRITTEN + " only, not "
                    + s.family().modelType());
        };
        c.putArray("architectures").add(arch);
        c.put("model_type", s.family().modelType());
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.resolvedHeadDim());
        c.put("vocab_size", s.vocab());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", 4096);
        c.put("rms_norm_eps", 1e-6);
        c.put("tie_word_embeddings", s.tied());
        if (s.family() != Family.QWEN2 && s.family() != Family.MISTRAL) {
            c.put("attention_bias", s.attentionBias());
        }
        if (s.family() == Family.MISTRAL) {
            if (s.slidingWindow() == null) {
                c.putNull("sliding_window");
            } else {
                c.put("sliding_window", s.slidingWindow());
            }
        }
        c.put("rope_theta", s.rope().theta());
        if (s.rope().type() == RopeConfig.Type.LLAMA3) {
            ObjectNode r = c.putObject("rope_scaling");
            r.put("rope_type", "llama3");
            r.put("factor", s.rope().factor());
            r.put("low_freq_factor", s.rope().lowFreqFactor());
            r.put("high_freq_factor", s.rope().highFreqFactor());
            r.put("original_max_position_embeddings", s.rope().originalMaxPositions());
        } else if (s.rope().type() == RopeConfig.Type.LINEAR) {
            ObjectNode r = c.putObject("rope_scaling");
            r.put("type", "linear");
            r.put("factor", s.rope().factor());
        }
        long eos = tokenizer && s.tokenizerSource() == null ? ByteLevelTokenizerJson.EOS_ID : 0;
        c.put("bos_token_id", eos);
        c.put("eos_token_id", eos);
        c.put("torch_dtype", s.dtype() == SafetensorsDtype.BF16 ? "bfloat16" : "float32");
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
    }
}
