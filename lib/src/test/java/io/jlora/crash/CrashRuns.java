package io.jlora.crash;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.data.DataFormat;
import io.jlora.data.Dataset;
import io.jlora.data.Example;
import io.jlora.data.TokenizeOptions;
import io.jlora.data.TokenizedData;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.lora.LoraInit;
import io.jlora.lora.MergeOptions;
import io.jlora.lora.MergeTool;
import io.jlora.model.CausalLm;
import io.jlora.model.Family;
import io.jlora.model.RandomModels;
import io.jlora.train.LoraTraining;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The writes the crash test interrupts, run by a child JVM ({@link #main}) that the test kills:
 * <pre>
 *   CrashRuns OP SEED WORK     OP: save-merged, save-adapter, merge, train, or all (each in turn)
 * </pre>
 * Inputs are fixed under WORK (model/, adapter-SEED/); outputs go to WORK/run/OP. Seed 1 makes
 * the "old" outputs, seed 2 the "new" ones, each deterministic (one intra-op thread).
 */
public final class CrashRuns {

    static final List<String> OPS = List.of("save-merged", "save-adapter", "merge", "train");

    private CrashRuns() {}

    public static void main(String[] args) {
        String op = args[0];
        long seed = Long.parseLong(args[1]);
        Path work = Path.of(args[2]);
        for (String o : op.equals("all") ? OPS : List.of(op)) {
            run(o, seed, work);
        }
        System.out.println("done " + op);
    }

    static void run(String op, long seed, Path work) {
        Path out = work.resolve("run").resolve(op);
        switch (op) {
            case "save-merged" -> {
                try (CausalLm lm = withAdapter(work, seed)) {
                    Adapters.of(lm).saveMerged(out, true);
                }
            }
            case "save-adapter" -> {
                try (CausalLm lm = withAdapter(work, seed)) {
                    Adapters.of(lm).save("default", out);
                }
            }
            case "merge" -> MergeTool.merge(model(work), work.resolve("adapter-" + seed), out,
                    MergeOptions.defaults().withOverwrite(true));
            case "train" -> {
                try (CausalLm lm = withAdapter(work, seed);
                        Trainer t = trainer(lm, seed, out)) {
                    t.train();
                }
            }
            default -> throw new IllegalArgumentException("unknown op " + op);
        }
    }

    static Path model(Path work) {
        return work.resolve("model");
    }

    /** The tiny random Llama the writes start from (hidden 64, 2 layers). */
    static void writeModel(Path work) {
        RandomModels.write(model(work), RandomModels.Spec.of(Family.LLAMA, 64, 2, 4, 2, 128, 258, 7));
    }

    /** The model with adapter "default": both A and B random from {@code seed}, so merging changes weights. */
    static CausalLm withAdapter(Path work, long seed) {
        CausalLm lm = CausalLm.load(model(work), "cpu", "float32");
        Adapters.of(lm).add("default", LoraConfig.builder().r(4).loraAlpha(8).init(LoraInit.RANDOM)
                .targetModules("all-linear").build(), seed);
        return lm;
    }

    /** 4 steps, a checkpoint every 2 (checkpoint-2, checkpoint-4) under {@code out}. */
    static Trainer trainer(CausalLm lm, long seed, Path out) {
        TrainerConfig config = TrainerConfig.builder().steps(4).batchSize(2).lr(1e-2).seed(seed).saveEvery(2)
                .outputDir(out).build();
        return Trainer.sft(LoraTraining.of(lm), data(lm, seed), config);
    }

    private static TokenizedData<Example> data(CausalLm lm, long seed) {
        ObjectMapper json = new ObjectMapper();
        List<ObjectNode> rows = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 24; i++) {
                sb.append((char) ('a' + (k * 3 + seed + i) % 26));
            }
            rows.add(json.createObjectNode().put("text", sb.toString()));
        }
        return Dataset.of("alphabet.jsonl", DataFormat.text("text"), rows)
                .tokenize(lm.tokenizer(), TokenizeOptions.defaults().withMaxSeqLength(32));
    }
}
