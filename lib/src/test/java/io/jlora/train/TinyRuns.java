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

    /** Loads {@code dir} and attaches a LoRA adapter (all-linear) with seed 42. */
    static CausalLm withAdapter(Path dir, int r, double dropout) {
        CausalLm lm = CausalLm.load(dir, "cpu", "auto");
        Adapters.of(lm).add("default", LoraConfig.builder().r(r).loraAlpha(2.0 * r).loraDropout(dropout)
                .targetModules("all-linear").build(), 42);
        return lm;
    }

    /** Texts that walk the alphabet from a random letter: after the first letter, each next one is certain. */
    static Dataset alphabet(int records, int length, long seed) {
        ObjectMapper json = new ObjectMapper();
        Random r = new Random(seed);
        List<ObjectNode> rows = new ArrayList<>();
        for (int k = 0; k < records; k++) {
            StringBuilder sb = new StringBuilder();
            int start = r.nextInt(26);
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
}
