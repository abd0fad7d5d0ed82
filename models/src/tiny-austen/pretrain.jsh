// (JShell: a line that ends a complete statement ends it, so chained calls break after the dot)
// tiny-austen's pretraining: jlora full fine-tuning (FullTraining + Trainer, as `train --peft false`)
// from a random init that RandomModels writes from SEED. Run by pretrain.sh; settings come from
// the environment:
//   TA_DATA   folder with corpus.jsonl, tokenizer.json, tokenizer_config.json (make_corpus.py)
//   TA_OUT    work folder: init/, checkpoints/checkpoint-STEP/, model/ (the result), loss.tsv
//   TA_RUN    optional: stop after this many steps of the run (the reproducibility test uses 3)
// It resumes from the newest checkpoint in TA_OUT/checkpoints when there is one.
import io.jlora.data.*;
import io.jlora.lora.Adapters;
import io.jlora.model.*;
import io.jlora.train.*;

long SEED = 21;
int HIDDEN = 192, LAYERS = 4, HEADS = 6, KV_HEADS = 2, INTERMEDIATE = 512, VOCAB = 4096;
int SEQ = 128, BATCH = 16;
long STEPS = Long.parseLong(System.getenv().getOrDefault("TA_STEPS", "4000"));
double LR = 3e-3;

Path data = Path.of(System.getenv("TA_DATA"));
Path out = Path.of(System.getenv("TA_OUT"));
Path init = out.resolve("init");
if (!Files.exists(init.resolve("model.safetensors"))) {
    RandomModels.write(init, RandomModels.Spec.of(Family.LLAMA, HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, VOCAB, SEED).
            withTied(true).withTokenizer(data.resolve("tokenizer.json")));
    Files.copy(data.resolve("tokenizer_config.json"), init.resolve("tokenizer_config.json"), StandardCopyOption.REPLACE_EXISTING);
}
CausalLm lm = CausalLm.load(init, "cpu", "float32");
FullTraining model = FullTraining.of(lm);
System.out.println("parameters: " + model.parameterCount());
var tokenized = Dataset.load(data.resolve("corpus.jsonl"), DataFormat.auto()).
        tokenize(lm.tokenizer(), TokenizeOptions.defaults().withMaxSeqLength(SEQ).withSeed(SEED));
TrainerConfig config = TrainerConfig.builder().steps(STEPS).lr(LR).batchSize(BATCH).scheduler("cosine").warmupRatio(0.03).
        weightDecay(0.1).maxGradNorm(1.0).gradientCheckpointing(false).shuffle(false).seed(SEED).
        saveEvery(40).saveTotalLimit(3).outputDir(out.resolve("checkpoints")).build();
Trainer trainer = Trainer.sft(model, tokenized, config);
Path checkpoints = out.resolve("checkpoints");
if (Files.isDirectory(checkpoints)) {
    try (var s = Files.list(checkpoints)) {
        s.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).
         max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(11)))).
         ifPresent(p -> { trainer.resume(p); System.out.println("resumed from " + p); });
    }
}
Path log = out.resolve("loss.tsv");
trainer.addListener(new TrainingListener() {
    public void onStep(StepMetrics m) {
        String line = String.format(Locale.ROOT, "%d\t%.6f\t%.6g\t%.1f%n", m.step(), m.loss(), m.lr(), m.tokensPerSecond());
        try { Files.writeString(log, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND); } catch (IOException e) { throw new UncheckedIOException(e); }
        if (m.step() % 10 == 0) System.out.print(line);
    }
});
String run = System.getenv("TA_RUN");
TrainingSummary summary = run != null ? trainer.train(Long.parseLong(run)) : trainer.train();
System.out.println(summary);
if (run == null) {
    Adapters.of(lm).saveMerged(out.resolve("model"), true);
    System.out.println("written " + out.resolve("model"));
}
/exit
