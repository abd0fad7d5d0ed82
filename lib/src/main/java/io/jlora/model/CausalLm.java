package io.jlora.model;

import io.jlora.model.generate.GenerationConfig;
import io.jlora.model.generate.GenerationResult;
import io.jlora.model.generate.Generator;
import io.jlora.model.generate.ScoreResult;
import io.jlora.model.generate.Scorer;
import io.jlora.model.tokenizer.HfTokenizer;
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.io.FolderCommit;
import io.jlora.io.FolderManifest;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A loaded Hugging Face model folder: config, decoder weights (owned by this object's manager),
 * tokenizer when the folder has one, and the end-of-sequence ids generation stops at.
 */
public final class CausalLm implements AutoCloseable {

    private final Path dir;
    private final NDManager manager;
    private final ModelConfig config;
    private final Decoder decoder;
    private final HfTokenizer tokenizer;
    private final Set<Long> eosIds;
    private final Map<Class<?>, Object> attachments = new HashMap<>();

    private CausalLm(Path dir, NDManager manager, ModelConfig config, Decoder decoder, HfTokenizer tokenizer,
            Set<Long> eosIds) {
        this.dir = dir;
        this.manager = manager;
        this.config = config;
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.eosIds = eosIds;
    }

    /** Loads on the automatic device in its default type. */
    /** System property: {@code sha256} makes {@link #load} hash a model folder against its manifest. */
    public static final String VERIFY_PROPERTY = "jlora.verify-checksums";

    public static CausalLm load(Path dir) {
        return load(dir, "auto", "auto");
    }

    /**
     * Loads {@code dir} (config.json, model.safetensors or shards, optional tokenizer.json).
     *
     * @param device auto, cpu, gpu or gpu:N
     * @param dtype auto, float32 or float16
     */
    public static CausalLm load(Path dir, String device, String dtype) {
        return load(dir, device, dtype, LinearFactory.DENSE);
    }

    /**
     * As {@link #load(Path, String, String)}, each decoder-layer projection made by {@code linears}
     * as its weight is read (see {@link Decoder#build(ModelConfig, WeightSource, LinearFactory)}).
     */
    public static CausalLm load(Path folder, String device, String dtype, LinearFactory linears) {
        Path dir = FolderCommit.readable(folder);
        FolderManifest.verify(dir, modelCheck());
        ModelConfig config = ModelConfigReader.read(dir);
        Device dev = DeviceChoice.parse(device);
        DataType type = DeviceChoice.dtype(dtype, dev);
        NDManager manager = NDManager.newBaseManager(dev);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            Decoder decoder = Decoder.build(config, new CheckpointWeights(checkpoint, manager, type), linears);
            HfTokenizer tokenizer = Files.exists(dir.resolve("tokenizer.json")) ? HfTokenizer.load(dir) : null;
            return new CausalLm(dir, manager, config, decoder, tokenizer, eosIds(dir, config));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * How a model folder is checked against its checksum manifest. Sizes by default: a stat per
     * file catches what an interrupted or partial write leaves (a missing or truncated file), and
     * jlora's writers never leave a mixed set (see {@link FolderCommit}). Hashing reads the whole
     * model a second time: bench/checksums measured 1.8 s (281 MB/s) for the 124M-parameter float32
     * model (499 MB) beside its 5.4 s load, a third more, and it grows with the model (~9 s for a 1B
     * bfloat16 model's 2.5 GB) while the sizes take milliseconds; so hashing is on request:
     * {@code -D}{@value #VERIFY_PROPERTY}{@code =sha256} or {@code load --verify-checksums}.
     */
    static FolderManifest.Check modelCheck() {
        return "sha256".equalsIgnoreCase(System.getProperty(VERIFY_PROPERTY, "")) ? FolderManifest.Check.SHA256
                : FolderManifest.Check.SIZES;
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public Decoder decoder() {
        return decoder;
    }

    /** The tokenizer, or null when the folder has no tokenizer.json. */
    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public Set<Long> eosIds() {
        return eosIds;
    }

    public NDManager manager() {
        return manager;
    }

    /**
     * The object of {@code type} attached to this model, made by {@code create} on first use: how a
     * package built on the model (lora's Adapters) keeps one instance per model without the model
     * knowing of it, and without its layers pointing back at it.
     */
    public synchronized <T> T attachment(Class<T> type, Function<CausalLm, T> create) {
        Object o = attachments.get(type);
        if (o == null) {
            o = create.apply(this);
            attachments.put(type, o);
        }
        return type.cast(o);
    }

    public GenerationResult generate(long[] prompt, GenerationConfig generation) {
        return new Generator(decoder, eosIds).generate(prompt, generation);
    }

    public ScoreResult score(List<long[]> sequences) {
        return new Scorer(decoder).score(sequences);
    }

    /** Ids of {@code text}; throws when the folder has no tokenizer. */
    public long[] encode(String text) {
        if (tokenizer == null) {
            throw new ModelFormatException(dir.resolve("tokenizer.json"), null, "file not found");
        }
        return tokenizer.encode(text);
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
    }

    /** config.json's eos ids plus generation_config.json's, which is what transformers' generate uses. */
    private static Set<Long> eosIds(Path dir, ModelConfig config) {
        Set<Long> ids = new LinkedHashSet<>(config.eosTokenIds());
        Path gen = dir.resolve("generation_config.json");
        if (Files.exists(gen)) {
            try {
                JsonNode eos = new ObjectMapper().readTree(gen.toFile()).get("eos_token_id");
                if (eos != null && eos.isArray()) {
                    eos.forEach(e -> ids.add(e.asLong()));
                } else if (eos != null && eos.isIntegralNumber()) {
                    ids.add(eos.asLong());
                }
            } catch (IOException e) {
                throw new ModelFormatException(gen, null, "not valid JSON: " + e.getMessage(), e);
            }
        }
        return ids;
    }
}
