package io.jlora.magics.commands;

import picocli.CommandLine.Command;

/** The command surface of docs/COMMANDS.md: one subcommand class per command. */
@Command(name = "jlora", mixinStandardHelpOptions = true, version = "jlora 0.1.0",
        description = "LoRA / QLoRA fine-tuning in Java. The same commands work as %%lora magics, on the command line and from Java (Lora.run).",
        subcommands = {LoadCommand.class, AttachCommand.class, GenerateCommand.class, ScoreCommand.class,
                SaveCommand.class, MergeCommand.class, AdapterCommands.LoadAdapter.class, AdapterCommands.ListAdapters.class,
                AdapterCommands.Use.class, AdapterCommands.Disable.class, AdapterCommands.Unload.class,
                AdapterCommands.Combine.class, ConvertKohyaCommand.class, MemoryCommand.class, DataCommand.class,
                TrainCommand.class, StepCommand.class, DpoCommand.class, CompareCommand.class, StatusCommand.class,
                InstallKernelCommand.class, HelpCommand.class,
                RenderCommand.class})
public final class LoraCommands {
}
