package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import io.jlora.magics.Html;
import io.jlora.quant.MemoryEstimate;
import io.jlora.train.MemoryProbe;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code memory --model DIR | --config FILE [--lora-r 16] [--batch-size 1] [--seq-len 512] [--measure]}:
 * the seed product's table (full fine-tune / LoRA / LoRA+4-bit) for any model, from jlora's own
 * estimate; with --measure, beside each column the memory that set-up took when run here (each in a
 * fresh JVM: full fine-tuning of the float32 model, LoRA over a float16 base, LoRA over the 4-bit
 * base --quantization names).
 */
@Command(name = "memory", description = "Estimates training memory for full fine-tuning, LoRA and LoRA+4-bit.",
        footer = {"%nExample:%n  memory --model models/tiny --lora-r 16 --seq-len 512 --measure"})
public final class MemoryCommand extends LoraCommand {
    static final class Source {
        @Option(names = "--model", paramLabel = "DIR", description = "a model folder (its config.json)")
        Path model;
        @Option(names = "--config", paramLabel = "FILE", description = "a config.json")
        Path config;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--lora-r", description = "the LoRA rank of the estimate (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int r;

    @Option(names = "--batch-size", defaultValue = "1", description = "examples per step (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int batchSize;

    @Option(names = "--seq-len", defaultValue = "512", description = "tokens per example (default: ${DEFAULT-VALUE})", paramLabel = "N")
    int seqLen;

    @Option(names = "--quantization", defaultValue = "int4",
            description = "the 4-bit column's scheme, measured with --measure: int4, nf4 or fp4 (default: ${DEFAULT-VALUE})", paramLabel = "SCHEME")
    String quantization;

    @Option(names = "--measure", arity = "0..1", fallbackValue = "true",
            description = "with --model: also run each column here, in a fresh JVM each (full fine-tuning of the float32 model,"
                    + " LoRA r --lora-r over a float16 base, the same over the --quantization base; two steps of --batch-size x"
                    + " --seq-len tokens, checkpointing on): the peak resident memory above the process before loading", paramLabel = "BOOL")
    boolean measure;

    @Option(names = "--device", defaultValue = "auto", description = "with --measure (default: ${DEFAULT-VALUE})", paramLabel = "DEVICE")
    String device;

    @Override
    public CommandResult execute() {
        if (r <= 0 || batchSize <= 0 || seqLen <= 0) {
            throw new CommandRunner.UsageException("--lora-r, --batch-size and --seq-len must be positive");
        }
        source.model = measure ? io.jlora.magics.HubFolders.model(source.model, null) : io.jlora.magics.HubFolders.config(source.model, null);
        Path config = source.config != null ? source.config : source.model.resolve("config.json");
        if (!Files.isRegularFile(config)) throw new CommandRunner.UsageException(config + ": no such file");
        Map<String, Object> json = new java.util.LinkedHashMap<>(MemoryEstimate.of(config, r, batchSize, seqLen).toJson());
        io.jlora.quant.Quantization fourBit;
        try {
            fourBit = io.jlora.quant.Quantization.parse(quantization);
        } catch (RuntimeException e) {
            throw new CommandRunner.UsageException("--quantization: " + e.getMessage());
        }
        if (!fourBit.isFourBit()) {
            throw new CommandRunner.UsageException("--quantization names the 4-bit column's scheme: int4, nf4 or fp4, not " + quantization);
        }
        if (measure) {
            if (source.model == null) throw new CommandRunner.UsageException("--measure needs --model DIR (a folder with the weights)");
            measure(json, "full", MemoryProbe.FULL);
            measure(json, "lora", "float16");
            measure(json, "lora_4bit", quantization);
        }
        return new Estimated(config, json);
    }

    /** Runs one set-up in a fresh JVM; puts {@code key}_measured_gb and _mb (null where it cannot be measured). */
    private void measure(Map<String, Object> json, String key, String setup) {
        MemoryProbe.Measured m = MemoryProbe.inChildProcess(source.model, device, batchSize, seqLen, setup, r);
        json.put(key + "_measured_gb", m.addedBytes() < 0 ? null : Math.round(m.addedBytes() / (double) (1L << 30) * 100) / 100.0);
        json.put(key + "_measured_mb", m.addedBytes() < 0 ? null : m.addedBytes() / (double) (1L << 20));
        json.put("measured_steps", m.steps());
    }

    record Estimated(Path config, Map<String, Object> json) implements CommandResult {
        @Override
        public String text() {
            return String.format("%s: full fine-tune %s GB%s, LoRA %s GB%s, LoRA+4-bit %s GB%s (estimate; r %s, batch %s x %s tokens)",
                    config, json.get("full_gb"), measured("full"), json.get("lora_gb"), measured("lora"), json.get("lora_4bit_gb"),
                    measured("lora_4bit"), json.get("lora_r"), json.get("batch_size"), json.get("seq_len"));
        }

        /** " (measured N MiB)" beside a column that was run, "" otherwise. */
        private String measured(String key) {
            if (!json.containsKey(key + "_measured_mb")) return "";
            Object mb = json.get(key + "_measured_mb");
            return mb == null ? " (measured: not on this OS)" : String.format(" (measured %.0f MiB)", ((Number) mb).doubleValue());
        }

        @Override
        public String html() {
            return Html.table("training memory, estimated (" + config.getParent().getFileName() + ")", new String[][] {
                    {"full fine-tune", json.get("full_gb") + " GB" + measured("full")},
                    {"LoRA", json.get("lora_gb") + " GB" + measured("lora")},
                    {"LoRA + 4-bit", json.get("lora_4bit_gb") + " GB" + measured("lora_4bit")},
                    {"LoRA + 8-bit", json.get("lora_8bit_gb") + " GB"},
                    {"parameters", String.format("%,d (LoRA r %s: %,d)", ((Number) json.get("parameters")).longValue(), json.get("lora_r"),
                            ((Number) json.get("lora_parameters")).longValue())}});
        }

        @Override
        public String toString() {
            return text();
        }
    }
}
