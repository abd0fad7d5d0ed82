package io.jlora.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.model.Family;
import io.jlora.model.RandomModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random models and generated datasets for the training tests. */
final class TinyRuns {

    private TinyRuns() {}

    /** A random Llama (hidden 64, 2 layers, 4 heads, 2 KV heads, MLP 128) with a byte-level tokenizer. */
    static Path model(Path dir, double std) {
        return RandomModels.write(dir, RandomModels.Spec.of(Family.LLAMA, 64, 2, 4, 2, 128, 258, 7).withStd(std));
    }

    /** Copies each step's gradients (before clipping) into {@code into}, by parameter name. */
    static void recordGradients(Trainer trainer, java.util.Map<String, float[]> into) {
        trainer.addListener(new TrainingListener() {
            @Override
            public void onGradients(long step, java.util.Map<String, ai.djl.ndarray.NDArray> gradients) {
                gradients.forEach((k, v) -> into.put(k, v.toFloatArray()));
            }
        });
    }

    /** Loads {@code dir} and attaches a LoRA adapter (all-linear) with seed 42. */
    static CausalLm withAdapter(Path dir, int r, double dropout) {
        CausalLm lm = CausalLm.load(dir, "cpu", "auto");
        Adapters.of(lm).add("default", LoraConfig.builder().r(r).loraAlpha(2.0 * r).loraDropout(dropout)
                .targetModules("all-linear").build(), 42);
        return lm;
    }

    /** Texts that walk the alphabet from a random letter: after the first letter, each next one is certain. */
    static Dataset alphabet(int records, int length, long seed) {
        return alphabet(records, length, length, seed);
    }

    /** As above, each text of a length drawn from [minLength, maxLength] (one draw more a record when they differ). */
    static Dataset alphabet(int records, int minLength, int maxLength, long seed) {
        ObjectMapper json = new ObjectMapper();
        Random r = new Random(seed);
        List<ObjectNode> rows = new ArrayList<>();
        for (int k = 0; k < records; k++) {
            StringBuilder sb = new StringBuilder();
            int start = r.nextInt(26);
            int length = maxLength > minLength ? minLength + r.nextInt(maxLength - minLength + 1) : minLength;
            for (int i = 0; i < length; i++) {
                sb.append((char) ('a' + (start + i) % 26));
            }
            rows.add(json.createObjectNode().put("text", sb.toString()));
        }
        return Dataset.of("alphabet.jsonl", DataFormat.text("text"), rows);
    }

    static TokenizedData<Example> tokenized(CausalLm lm, Dataset data, double evalSplit) {
        return data.tokenize(lm.tokenizer(), TokenizeOptions.defaults().withMaxSeqLength(64).withEvalSplit(evalSplit));
    }

    /**
     * {@code count} preference rows over the alphabet (seeded): the chosen continuation carries the
     * prompt's run of letters on, the rejected one is random. Plain-text triples, or TRL's
     * conversational form (prompt a list of messages, chosen and rejected one assistant message each).
     */
    static List<ObjectNode> alphabetPreferences(int count, boolean conversational, long seed) {
        ObjectMapper json = new ObjectMapper();
        List<ObjectNode> rows = new ArrayList<>();
        Random r = new Random(seed);
        for (int i = 0; i < count; i++) {
            int start = r.nextInt(20);
            StringBuilder prompt = new StringBuilder();
            StringBuilder chosen = new StringBuilder();
            StringBuilder rejected = new StringBuilder();
            for (int k = 0; k < 6; k++) {
                prompt.append((char) ('a' + start + k));
            }
            for (int k = 0; k < 4; k++) {
                chosen.append((char) ('a' + (start + 6 + k) % 26));
                rejected.append((char) ('a' + r.nextInt(26)));
            }
            ObjectNode row = json.createObjectNode();
            if (conversational) {
                row.set("prompt", json.createArrayNode().add(message(json, "user", prompt.toString())));
                row.set("chosen", json.createArrayNode().add(message(json, "assistant", chosen.toString())));
                row.set("rejected", json.createArrayNode().add(message(json, "assistant", rejected.toString())));
            } else {
                row.put("prompt", prompt.toString()).put("chosen", chosen.toString()).put("rejected", rejected.toString());
            }
            rows.add(row);
        }
        return rows;
    }

    private static ObjectNode message(ObjectMapper json, String role, String content) {
        return json.createObjectNode().put("role", role).put("content", content);
    }
}
