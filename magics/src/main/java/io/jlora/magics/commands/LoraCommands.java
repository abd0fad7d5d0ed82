package io.jlora.magics.commands;

import picocli.CommandLine.Command;

/** The command surface of docs/COMMANDS.md: one subcommand class per command. */
@Command(name = "jlora", mixinStandardHelpOptions = true, version = "jlora 0.1.0",
        description = "LoRA / QLoRA fine-tuning in Java. The same commands work as %%lora magics, on the command line and from Java (Lora.run).",
        subcommands = {LoadCommand.class, GenerateCommand.class, ScoreCommand.class, StatusCommand.class,
                InstallKernelCommand.class, HelpCommand.class})
public final class LoraCommands {
}
