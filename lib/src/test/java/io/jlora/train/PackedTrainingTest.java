package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.model.CausalLm;
import io.jlora.model.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packed, padding-free rows (positions restarting per example, attention never crossing an example)
 * give the loss of the same examples unpacked, with and without gradient checkpointing; eval too.
 */
class PackedTrainingTest {

    @TempDir
    Path tmp;

    private static Dataset texts() {
        ObjectMapper json = new ObjectMapper();
        List<ObjectNode> rows = new ArrayList<>();
        String[] words = {"low rank", "adapters train few weights", "a", "packing puts short examples side by side",
                "positions restart", "attention stays inside each example", "ok", "the loss is the same"};
        for (String w : words) {
            rows.add(json.createObjectNode().put("text", w));
        }
        return Dataset.of("texts.jsonl", DataFormat.text("text"), rows);
    }

    /** The first step's loss and the eval loss after it (which sees the step's update). */
    private static double[] losses(CausalLm lm, TokenizedData<Example> data, boolean checkpointing) {
        TrainerConfig config = TrainerConfig.builder().lr(1e-3).batchSize(data.train().size()).steps(1).shuffle(false)
                .gradientCheckpointing(checkpointing).evalEvery(1).build();
        try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), data, config)) {
            TrainingSummary s = trainer.train();
            return new double[] {s.firstLoss(), s.evalLoss()};
        }
    }

    @Test
    void packedLossEqualsUnpackedLoss() {
        Path model = TinyRuns.model(tmp.resolve("m"), 0.2);
        TokenizeOptions options = TokenizeOptions.defaults().withMaxSeqLength(48).withEvalSplit(0.25).withSeed(3);
        TokenizedData<Example> plain;
        TokenizedData<Example> packed;
        try (HfTokenizer tok = HfTokenizer.load(model)) {
            plain = texts().tokenize(tok, options);
            packed = texts().tokenize(tok, options.withPacking(true));
        }
        assertTrue(packed.train().size() < plain.train().size() && packed.train().get(0).packed(), "rows were packed");
        for (boolean checkpointing : new boolean[] {false, true}) {
            double[] a;
            double[] b;
            try (CausalLm lm = TinyRuns.withAdapter(model, 4, 0.0)) {
                a = losses(lm, plain, checkpointing);
            }
            try (CausalLm lm = TinyRuns.withAdapter(model, 4, 0.0)) {
                b = losses(lm, packed, checkpointing);
            }
            assertEquals(a[0], b[0], 1e-5, "checkpointing " + checkpointing + ": training loss");
            assertEquals(a[1], b[1], 1e-5, "checkpointing " + checkpointing + ": eval loss after the step");
        }
    }
}
