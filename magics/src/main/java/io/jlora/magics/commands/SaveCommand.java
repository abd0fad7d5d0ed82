package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code save --output-folder DIR [--adapter-only]}: the merged model by default, or the PEFT adapter;
 * after full fine-tuning (--peft false) the whole model as trained.
 */
@Command(name = "save", description = "Saves the model with its adapters merged (default) or the adapter alone in PEFT's format;"
        + " after full fine-tuning (--peft false), the whole model.",
        footer = {"%nExamples:%n  save --output-folder merged%n  save --output-folder my-adapter --adapter-only"})
public final class SaveCommand extends LoraCommand {
    @Override
    public boolean sessionOnly() {
        return true;
    }

    @Option(names = "--output-folder", required = true, paramLabel = "DIR", description = "where to write (written under a temporary name, then renamed)")
    Path output;

    @Option(names = "--adapter-only", arity = "0..1", fallbackValue = "true", description = "save only the adapter (adapter_config.json + adapter_model.safetensors)", paramLabel = "BOOL")
    boolean adapterOnly;

    @Option(names = "--name", description = "which adapter to save with --adapter-only (default: the active one)", paramLabel = "NAME")
    String name;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", description = "replace a non-empty output folder", paramLabel = "BOOL")
    boolean overwrite;

    @Override
    public CommandResult execute() {
        long start = System.nanoTime();
        var adapters = session.adapters();
        Path out = output.toAbsolutePath().normalize();
        if (adapters.names().isEmpty()) {
            if (!session.fullyTrained()) throw new CommandRunner.UsageException("no adapter to save: attach or load-adapter first");
            if (adapterOnly) throw new CommandRunner.UsageException("there is no adapter: the model was fully fine-tuned (--peft false); save without --adapter-only");
            // no adapter to merge: the model's own (fully fine-tuned) weights are written
            List<Path> files = adapters.saveMerged(out, overwrite);
            return new FilesResult("saved the fully fine-tuned model", out, files, List.of(), FilesResult.since(start));
        }
        if (adapterOnly) {
            String which = name != null ? name : adapters.active().get(0);
            List<Path> files = adapters.save(which, out, overwrite);
            return new FilesResult("saved adapter '" + which + "'", out, files, List.of(), FilesResult.since(start));
        }
        // on a quantized base the merged model is the adapter merged into the base folder's float files
        var lm = session.model();
        MergedOutput.Route route = MergedOutput.plan(adapters, lm, "--adapter-only");
        List<Path> files = MergedOutput.write(route, adapters, lm, out, overwrite);
        Path base = MergedOutput.filesMerged(route, lm);
        return new FilesResult("saved the merged model", out, files,
                base != null ? List.of("the base is quantized: the adapter was merged into the float weights of " + base) : List.of(),
                FilesResult.since(start));
    }
}
