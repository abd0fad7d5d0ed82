package io.jlora.magics.commands;

import io.jlora.io.FolderCommit;
import io.jlora.io.FolderManifest;
import io.jlora.magics.LoraSession;
import io.jlora.model.CausalLm;
import io.jlora.quant.Quantization;
import io.jlora.quant.QuantizedModels;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * How a model folder is loaded, the same on every command that loads one (load, and --model on
 * generate, score, attach, load-adapter, train, dpo, compare): device, dtype, a quantized base
 * (so {@code train --quantization int4} is QLoRA in one command) and checksum verification.
 */
public final class LoadOptions {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}: a GPU when there is one)")
    String device;

    @Option(names = "--dtype", defaultValue = "auto", paramLabel = "DTYPE",
            description = "auto, float32 or float16 (default: ${DEFAULT-VALUE}: float32 on CPU, float16 on GPU);"
                    + " to train LoRA, float16 stores the frozen base in float16 and computes in float32")
    String dtype;

    @Option(names = "--quantization", defaultValue = "none", paramLabel = "SCHEME",
            description = "none, int4, int8, nf4 or fp4: quantize the base while loading (default: ${DEFAULT-VALUE};"
                    + " int4 = nf4 with double quantization, LoRA over it is QLoRA)")
    String quantization;

    @Option(names = "--verify-checksums", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "hash every file against the folder's jlora-checksums.json (default: sizes only)")
    boolean verifyChecksums;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Hugging Face token for a Hub id (ORG/NAME[@REV]) in --model or --adapter, else HF_TOKEN (never printed)")
    String token;

    /** The parsed --quantization; a bad value is a usage error naming the option. */
    public Quantization quantization() {
        try {
            return Quantization.parse(quantization);
        } catch (RuntimeException e) {
            throw new CommandRunner.UsageException("--quantization: " + e.getMessage());
        }
    }

    /** The --quantization text when one is asked for, else null. */
    String quantizationOrNull() {
        return quantization() == Quantization.NONE ? null : quantization;
    }

    /** Loads {@code dir} as these options say into {@code session}, timing it; {@code dtypeOverride} wins over --dtype. */
    CausalLm loadInto(LoraSession session, Path dir, String dtypeOverride) {
        return loadInto(session, dir, dtypeOverride, false);
    }

    /**
     * As above; {@code forLoRA}: the model is loaded for LoRA training, where {@code --dtype float16}
     * stores the frozen projections in float16 and computes in float32 (the float16 base's memory;
     * DJL's dtype casts drop the autograd graph, so float16 arithmetic cannot carry gradients).
     */
    CausalLm loadInto(LoraSession session, Path dir, String dtypeOverride, boolean forLoRA) {
        Quantization q = quantization();
        String type = dtypeOverride != null ? dtypeOverride : dtype;
        if (forLoRA && q == Quantization.NONE && ("float16".equalsIgnoreCase(type) || "fp16".equalsIgnoreCase(type))) {
            q = Quantization.FLOAT16;
            type = "float32";
        }
        long start = System.nanoTime();
        dir = io.jlora.magics.HubFolders.model(dir, token);
        if (verifyChecksums) {
            // load itself checks sizes; the hashes read the whole model once more
            FolderManifest.verify(FolderCommit.readable(dir), FolderManifest.Check.SHA256);
        }
        // quantized bases are quantized tensor by tensor while streaming from the checkpoint; a folder
        // saved quantized (bitsandbytes) loads as saved, with or without --quantization
        CausalLm loaded = q == Quantization.NONE && !QuantizedModels.savedQuantized(dir) ? CausalLm.load(dir, device, type)
                : QuantizedModels.load(dir, device, type, q.label());
        session.setModel(loaded, (System.nanoTime() - start) / 1e9, q.label());
        return loaded;
    }
}
