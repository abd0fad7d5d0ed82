package io.jlora.magics.commands;

import io.jlora.JloraException;
import io.jlora.io.FolderCommit;
import io.jlora.lora.Adapters;
import io.jlora.lora.MergeOptions;
import io.jlora.lora.MergeResult;
import io.jlora.lora.MergeTool;
import io.jlora.model.CausalLm;
import io.jlora.quant.QuantizedModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The merged model that {@code train} and {@code dpo} write at the end of a LoRA run, what PEFT's
 * merge_and_unload + save_pretrained gives. On a dense base the active adapters merge in memory
 * ({@link Adapters#saveMerged}). On a quantized base (QLoRA) the merged model is a float model, as
 * in PEFT: the adapter is saved beside the output folder, then merged into the base model's own,
 * unquantized files by {@link MergeTool} (written whole or not at all, like every output), and the
 * saved adapter is deleted. {@link #plan} makes every refusal before the first step.
 */
final class MergedOutput {
    /** How the merged model is written. */
    enum Route {
        /** the adapters merged into the loaded (dense) weights */
        IN_MEMORY,
        /** the adapter merged into the base folder's float files: the loaded base is quantized */
        BASE_FILES
    }

    private MergedOutput() {
    }

    /** The route for {@code lm}'s active adapters; refuses, naming {@code adapterOnly} (the option that saves the adapter alone), when none fits. */
    static Route plan(Adapters adapters, CausalLm lm, String adapterOnly) {
        String hint = "; pass " + adapterOnly + " to save the adapter alone";
        try {
            adapters.checkMergeable(false);
        } catch (JloraException e) {
            throw new CommandRunner.UsageException(e.getMessage() + hint);
        }
        if (adapters.denseBases()) return Route.IN_MEMORY;
        if (adapters.active().size() != 1) {
            throw new CommandRunner.UsageException("the base is quantized, so its merged model is made from the base's files, one adapter at a time;"
                    + " active adapters: " + adapters.active() + hint);
        }
        if (QuantizedModels.savedQuantized(lm.dir())) {
            throw new CommandRunner.UsageException("the base " + lm.dir() + " is stored quantized (bitsandbytes): it has no float weights"
                    + " to merge the adapter into" + hint);
        }
        return Route.BASE_FILES;
    }

    /** Writes the merged model to {@code out} by {@code route}; returns its files. */
    static List<Path> write(Route route, Adapters adapters, CausalLm lm, Path out, boolean overwrite) {
        if (route == Route.IN_MEMORY) return adapters.saveMerged(out, overwrite);
        Path target = out.toAbsolutePath().normalize();
        Path staging;
        try {
            Files.createDirectories(target.getParent());
            // beside the output (MergeTool refuses an input inside it), hidden, on the same disk
            staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".adapter-");
        } catch (IOException e) {
            throw new JloraException("cannot create a folder beside " + target + " for the adapter: " + e.getMessage(), e);
        }
        Path adapter = staging.resolve("adapter");
        adapters.save(adapters.active().get(0), adapter, false);
        MergeResult merged;
        try {
            merged = MergeTool.merge(lm.dir(), adapter, target, MergeOptions.defaults().withOverwrite(overwrite));
        } catch (RuntimeException e) {
            // the run's work is not lost: the adapter stays where it was saved
            throw new JloraException(e.getMessage() + "; the trained adapter is kept in " + adapter, e);
        }
        try {
            FolderCommit.deleteTree(staging);
        } catch (IOException e) {
            // the merged model is in place; a leftover hidden folder is not worth failing the run
        }
        return merged.files();
    }

    /** The base folder whose files the model was merged from, or null for a merge in memory. */
    static Path filesMerged(Route route, CausalLm lm) {
        return route == Route.BASE_FILES ? lm.dir().toAbsolutePath().normalize() : null;
    }
}
