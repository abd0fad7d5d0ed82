package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import io.jlora.magics.ModelSummary;
import io.jlora.model.CausalLm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code load --model DIR [--device auto|cpu|gpu[:N]] [--dtype auto|float32|float16]}. */
@Command(name = "load", description = "Loads a Hugging Face model folder (config.json, *.safetensors, tokenizer.json).")
public final class LoadCommand extends LoraCommand {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the model folder")
    Path model;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}; auto = a GPU when there is one)")
    String device;

    @Option(names = "--dtype", defaultValue = "auto", description = "auto, float32 or float16 (default: ${DEFAULT-VALUE}: float32 on CPU, float16 on GPU)")
    String dtype;

    @Option(names = "--quantization", defaultValue = "none", description = "none, int4, int8, nf4 or fp4 (default: ${DEFAULT-VALUE}; int4 = nf4 with double quantization)")
    String quantization;

    @Option(names = "--token", paramLabel = "T", description = "Hugging Face token when --model is a Hub id, else HF_TOKEN (never printed)")
    String token;

    @Option(names = "--verify-checksums", arity = "0..1", fallbackValue = "true", description = "hash every file against the folder's jlora-checksums.json (default: sizes only)")
    boolean verifyChecksums;

    @Override
    public CommandResult execute() {
        io.jlora.quant.Quantization q;
        try {
            q = io.jlora.quant.Quantization.parse(quantization);
        } catch (RuntimeException e) {
            throw new CommandRunner.UsageException("--quantization: " + e.getMessage());
        }
        long start = System.nanoTime();
        model = io.jlora.magics.HubFolders.model(model, token);
        if (verifyChecksums) {
            // load itself checks sizes; the hashes read the whole model once more
            io.jlora.io.FolderManifest.verify(io.jlora.io.FolderCommit.readable(model), io.jlora.io.FolderManifest.Check.SHA256);
        }
        // quantized bases are quantized tensor by tensor while streaming from the checkpoint
        CausalLm loaded = q == io.jlora.quant.Quantization.NONE ? CausalLm.load(model, device, dtype)
                : io.jlora.quant.QuantizedModels.load(model, device, dtype, quantization);
        session.setModel(loaded);
        return new ModelSummary(loaded, (System.nanoTime() - start) / 1e9, q.label());
    }
}
