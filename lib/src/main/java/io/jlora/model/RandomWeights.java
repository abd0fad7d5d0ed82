package io.jlora.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import io.jlora.model.RandomModels.Spec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a {@link RandomModels} folder: every tensor's name and shape as transformers
 * names them, written as seeded noise into one model.safetensors or into shards with an index.
 */
final class RandomWeights {

    private RandomWeights() {}

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

    static void write(Path dir, Spec s) throws IOException {
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
}
