package io.jlora.magics.commands;

import io.jlora.lora.MergeOptions;
import io.jlora.lora.MergeResult;
import io.jlora.lora.MergeTool;
import io.jlora.magics.CommandResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The seed product's merge tool: {@code merge --base-model-path DIR --adapter-path DIR
 * (--output-folder DIR | --push-to-hub REPO) [--token T] [--pad-to-multiple-of N]}. Streams tensor by
 * tensor, so the whole model is never in memory.
 */
@Command(name = "merge", description = "Merges a PEFT adapter into its base model and writes a Hugging Face folder.")
public final class MergeCommand extends LoraCommand {
    @Option(names = "--base-model-path", required = true, paramLabel = "DIR")
    Path base;

    @Option(names = "--adapter-path", required = true, paramLabel = "DIR")
    Path adapter;

    @Option(names = "--output-folder", paramLabel = "DIR")
    Path output;

    @Option(names = "--push-to-hub", paramLabel = "REPO", arity = "0..1", fallbackValue = "", description = "upload to the Hugging Face Hub")
    String pushToHub;

    @Option(names = "--token", paramLabel = "T", description = "Hugging Face token for --push-to-hub (never printed)")
    String token;

    @Option(names = "--pad-to-multiple-of", defaultValue = "0", paramLabel = "N", description = "pad the vocabulary rows of the embeddings and head to a multiple of N")
    int padToMultipleOf;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", description = "replace a non-empty output folder")
    boolean overwrite;

    @Override
    public CommandResult execute() {
        if (output == null && pushToHub == null) {
            throw new CommandRunner.UsageException("merge needs --output-folder DIR or --push-to-hub (neither was given)");
        }
        if (pushToHub != null) {
            throw new CommandRunner.UsageException("--push-to-hub is not available in this build; use --output-folder");
        }
        if (padToMultipleOf < 0) throw new CommandRunner.UsageException("--pad-to-multiple-of must be 0 or more, not " + padToMultipleOf);
        MergeOptions options = MergeOptions.defaults().withOverwrite(overwrite).withPadToMultipleOf(padToMultipleOf);
        MergeResult result = MergeTool.merge(base, adapter, output, options);
        return new FilesResult("merged " + adapter + " into " + base, result.output(), result.files(), result.notes(), result.seconds());
    }
}
