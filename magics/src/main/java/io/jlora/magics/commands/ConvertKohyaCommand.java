package io.jlora.magics.commands;

import io.jlora.lora.KohyaConverter;
import io.jlora.magics.CommandResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code convert-kohya --input-path ADAPTER --output-path FILE.safetensors}: PEFT to Kohya, keeping the
 * scale (Kohya's alpha/dim equals the adapter's own scale). Given a Kohya .safetensors file as input,
 * converts back to a PEFT folder.
 */
@Command(name = "convert-kohya", description = "Converts a PEFT adapter to Kohya's format keeping its scale, or a Kohya file back to PEFT.",
        footer = {"%nExample:%n  convert-kohya --input-path out --output-path out-kohya.safetensors"})
public final class ConvertKohyaCommand extends LoraCommand {
    @Option(names = "--input-path", required = true, paramLabel = "PATH", description = "a PEFT adapter folder, or a Kohya .safetensors file")
    Path input;

    @Option(names = "--output-path", required = true, paramLabel = "PATH", description = "FILE.safetensors for Kohya, a folder for PEFT")
    Path output;

    @Option(names = "--prefix", defaultValue = KohyaConverter.DEFAULT_PREFIX, description = "Kohya key prefix (default: ${DEFAULT-VALUE})", paramLabel = "PREFIX")
    String prefix;

    @Option(names = "--base-model-path", paramLabel = "DIR", description = "Kohya to PEFT: the base model, to map names back exactly")
    Path base;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", description = "replace an existing output", paramLabel = "BOOL")
    boolean overwrite;

    @Override
    public CommandResult execute() {
        long start = System.nanoTime();
        input = input.toAbsolutePath().normalize();
        output = output.toAbsolutePath().normalize();
        if (!Files.exists(input)) throw new CommandRunner.UsageException("--input-path " + input + ": no such file or folder");
        if (Files.isDirectory(input)) {
            Path written = KohyaConverter.toKohya(input, output, prefix, overwrite);
            return new FilesResult("converted to Kohya", written.toAbsolutePath(), List.of(written.toAbsolutePath()), List.of(), FilesResult.since(start));
        }
        List<Path> files = KohyaConverter.fromKohya(input, output, io.jlora.magics.HubFolders.model(base, null), prefix, overwrite);
        return new FilesResult("converted to PEFT", output.toAbsolutePath(), files, List.of(), FilesResult.since(start));
    }
}
