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
 * estimate; with --measure, beside it the memory full fine-tuning took when run here.
 */
@Command(name = "memory", description = "Estimates training memory for full fine-tuning, LoRA and LoRA+4-bit.")
public final class MemoryCommand extends LoraCommand {
    static final class Source {
        @Option(names = "--model", paramLabel = "DIR", description = "a model folder (its config.json)")
        Path model;
        @Option(names = "--config", paramLabel = "FILE", description = "a config.json")
        Path config;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--lora-r", defaultValue = "16", description = "default: ${DEFAULT-VALUE}")
    int r;

    @Option(names = "--batch-size", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--seq-len", defaultValue = "512", description = "default: ${DEFAULT-VALUE}")
    int seqLen;

    @Option(names = "--quantization", defaultValue = "int4", description = "the quantized column's scheme (default: ${DEFAULT-VALUE})")
    String quantization;

    @Option(names = "--measure", arity = "0..1", fallbackValue = "true",
            description = "with --model: also measure full fine-tuning (in a fresh JVM: load as float32, two steps of --batch-size x"
                    + " --seq-len tokens): the peak resident memory above the process before loading")
    boolean measure;

    @Option(names = "--device", defaultValue = "auto", description = "with --measure (default: ${DEFAULT-VALUE})")
    String device;

    @Override
    public CommandResult execute() {
        if (r <= 0 || batchSize <= 0 || seqLen <= 0) {
            throw new CommandRunner.UsageException("--lora-r, --batch-size and --seq-len must be positive");
        }
        Path config = source.config != null ? source.config : source.model.resolve("config.json");
        if (!Files.isRegularFile(config)) throw new CommandRunner.UsageException(config + ": no such file");
        Map<String, Object> json = new java.util.LinkedHashMap<>(MemoryEstimate.of(config, r, batchSize, seqLen).toJson());
        if (measure) {
            if (source.model == null) throw new CommandRunner.UsageException("--measure needs --model DIR (a folder with the weights)");
            MemoryProbe.Measured m = MemoryProbe.inChildProcess(source.model, device, batchSize, seqLen);
            json.put("full_measured_gb", m.addedBytes() < 0 ? null : Math.round(m.addedBytes() / (double) (1L << 30) * 100) / 100.0);
            json.put("full_measured_mb", m.addedBytes() < 0 ? null : m.addedBytes() / (double) (1L << 20));
            json.put("measured_steps", m.steps());
        }
        return new Estimated(config, json);
    }

    record Estimated(Path config, Map<String, Object> json) implements CommandResult {
        @Override
        public String text() {
            return String.format("%s: full fine-tune %s GB%s, LoRA %s GB, LoRA+4-bit %s GB (estimate; r %s, batch %s x %s tokens)",
                    config, json.get("full_gb"), measured(), json.get("lora_gb"), json.get("lora_4bit_gb"), json.get("lora_r"),
                    json.get("batch_size"), json.get("seq_len"));
        }

        private String measured() {
            if (!json.containsKey("full_measured_mb")) return "";
            Object mb = json.get("full_measured_mb");
            return mb == null ? " (measured: not on this OS)" : String.format(" (measured %.0f MiB)", ((Number) mb).doubleValue());
        }

        @Override
        public String html() {
            return Html.table("training memory, estimated (" + config.getParent().getFileName() + ")", new String[][] {
                    {"full fine-tune", json.get("full_gb") + " GB" + measured()},
                    {"LoRA", json.get("lora_gb") + " GB"},
                    {"LoRA + 4-bit", json.get("lora_4bit_gb") + " GB"},
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
