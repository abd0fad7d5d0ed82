package io.jlora.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.SafetensorsDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

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
            return new Options(this).headDim(d).build();
        }

        public Spec withTied(boolean t) {
            return new Options(this).tied(t).build();
        }

        public Spec withAttentionBias(boolean b) {
            return new Options(this).attentionBias(b).build();
        }

        public Spec withDtype(SafetensorsDtype d) {
            return new Options(this).dtype(d).build();
        }

        public Spec withRope(RopeConfig r) {
            return new Options(this).rope(r).build();
        }

        public Spec withSlidingWindow(Integer w) {
            return new Options(this).slidingWindow(w).build();
        }

        public Spec withStd(double s) {
            return new Options(this).std(s).build();
        }

        public Spec withShardBytes(long b) {
            return new Options(this).shardBytes(b).build();
        }

        public Spec withTokenizer(Path source) {
            return new Options(this).tokenizerSource(source).build();
        }

        /** The options of a spec that its {@code with} methods change; the family and shape stay. */
        private static final class Options {
            private final Spec base;
            private int headDim;
            private boolean tied;
            private boolean attentionBias;
            private SafetensorsDtype dtype;
            private RopeConfig rope;
            private Integer slidingWindow;
            private double std;
            private long shardBytes;
            private Path tokenizerSource;

            Options(Spec s) {
                base = s;
                headDim = s.headDim;
                tied = s.tied;
                attentionBias = s.attentionBias;
                dtype = s.dtype;
                rope = s.rope;
                slidingWindow = s.slidingWindow;
                std = s.std;
                shardBytes = s.shardBytes;
                tokenizerSource = s.tokenizerSource;
            }

            Options headDim(int d) {
                this.headDim = d;
                return this;
            }

            Options tied(boolean t) {
                this.tied = t;
                return this;
            }

            Options attentionBias(boolean b) {
                this.attentionBias = b;
                return this;
            }

            Options dtype(SafetensorsDtype d) {
                this.dtype = d;
                return this;
            }

            Options rope(RopeConfig r) {
                this.rope = r;
                return this;
            }

            Options slidingWindow(Integer w) {
                this.slidingWindow = w;
                return this;
            }

            Options std(double s) {
                this.std = s;
                return this;
            }

            Options shardBytes(long b) {
                this.shardBytes = b;
                return this;
            }

            Options tokenizerSource(Path source) {
                this.tokenizerSource = source;
                return this;
            }

            Spec build() {
                return new Spec(base.family, base.hidden, base.layers, base.heads, base.kvHeads, base.intermediate,
                        base.vocab, base.seed, headDim, tied, attentionBias, dtype, rope, slidingWindow, std, shardBytes,
                        tokenizerSource);
            }
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
            RandomWeights.write(dir, spec);
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
