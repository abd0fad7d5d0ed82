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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Packing benchmark, driven by bench/packing/run.sh. Not a unit test.
 *
 * <pre>
 *   PackingBench DIR packed|unpacked EXAMPLES BATCH MAXLEN
 * </pre>
 *
 * Trains one epoch of LoRA (r 16, all-linear) over EXAMPLES short texts (16 to 96 bytes, seeded;
 * the model's tokenizer is byte-level, so about as many tokens) on a small random Llama written
 * into DIR on first use: unpacked, BATCH examples a step padded to the longest; packed, rows of
 * MAXLEN tokens by best-fit decreasing, one row a step, padding-free. Prints the real (unpadded)
 * tokens per second over the steps after the first, and the padded positions the steps computed.
 */
public final class PackingBench {

    private PackingBench() {}

    static Dataset shortTexts(int count) {
        ObjectMapper json = new ObjectMapper();
        Random r = new Random(11);
        String[] words = {"low", "rank", "adapter", "weights", "train", "the", "packing", "of", "short", "examples", "side",
            "by", "positions", "attention", "loss", "a", "model", "token"};
        List<ObjectNode> rows = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int target = 16 + r.nextInt(81);
            StringBuilder sb = new StringBuilder();
            while (sb.length() < target) {
                sb.append(sb.length() == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            rows.add(json.createObjectNode().put("text", sb.substring(0, target)));
        }
        return Dataset.of("short.jsonl", DataFormat.text("text"), rows);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean packed = args[1].equals("packed");
        int examples = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        int maxLen = Integer.parseInt(args[4]);
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            RandomModels.write(dir, RandomModels.Spec.of(Family.LLAMA, 512, 4, 8, 4, 1376, 258, 5));
        }
        try (CausalLm lm = CausalLm.load(dir, "cpu", "auto")) {
            Adapters.of(lm).add("default", LoraConfig.builder().r(16).loraAlpha(32).targetModules("all-linear").build(), 42);
            TokenizedData<Example> data = shortTexts(examples).tokenize(lm.tokenizer(),
                    TokenizeOptions.defaults().withMaxSeqLength(maxLen).withPacking(packed));
            int perStep = packed ? 1 : batch;
            long padded = 0;
            for (int from = 0; from < data.train().size(); from += perStep) {
                int longest = 0;
                int rows = 0;
                for (int k = from; k < Math.min(data.train().size(), from + perStep); k++, rows++) {
                    longest = Math.max(longest, data.train().get(k).length());
                }
                padded += packed ? longest : (long) longest * rows;
            }
            TrainerConfig config = TrainerConfig.builder().lr(2e-4).batchSize(perStep).epochs(1).shuffle(false)
                    .gradientCheckpointing(false).build();
            long[] tokens = new long[1];
            double[] seconds = new double[1];
            try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), data, config)) {
                trainer.addListener(new TrainingListener() {
                    @Override
                    public void onStep(StepMetrics m) {
                        if (m.step() > 1) {
                            tokens[0] += m.tokens();
                            seconds[0] += m.seconds();
                        }
                    }
                });
                TrainingSummary s = trainer.train();
                System.out.printf("packing-result mode=%s steps=%d rows=%d tokens=%d padded_positions=%d tokens_per_s=%.1f last_loss=%.4f%n",
                        packed ? "packed" : "unpacked", s.steps(), data.train().size(), data.stats().tokens(), padded,
                        tokens[0] / seconds[0], s.lastLoss());
            }
        }
    }
}
