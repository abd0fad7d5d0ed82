package io.jlora.magics.commands;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command surface of docs/COMMANDS.md: one subcommand class per command. */
@Command(name = "jlora", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, abbreviateSynopsis = true, versionProvider = VersionProvider.class,
        description = "LoRA / QLoRA fine-tuning in Java. The same commands work as %%lora magics, on the command line and from Java (Lora.run).",
        footer = {"%nSession commands (" + LoraCommands.SESSION_COMMANDS + ") act on what earlier commands loaded: run them in a session,"
                + " bin/jlora-shell (Lora.run(\"status\")) or a notebook (%%lora status); each bin/jlora run is a fresh process.",
                "'COMMAND --help' documents a command.",
                "%nExamples:%n  jlora train --model models/tiny --file data.jsonl --steps 60 --output-folder out",
                "  jlora score --model out --text \"Once upon a time\"",
                "  jlora generate --model models/tiny --adapter out-adapter --prompt \"Once upon\""},
        subcommands = {LoadCommand.class, AttachCommand.class, GenerateCommand.class, ScoreCommand.class,
                SaveCommand.class, MergeCommand.class, AdapterCommands.LoadAdapter.class, AdapterCommands.ListAdapters.class,
                AdapterCommands.Use.class, AdapterCommands.Disable.class, AdapterCommands.Unload.class,
                AdapterCommands.Combine.class, ConvertKohyaCommand.class, MemoryCommand.class, DataCommand.class,
                TrainCommand.class, StepCommand.class, DpoCommand.class, CompareCommand.class, StatusCommand.class,
                InstallKernelCommand.class, HelpCommand.class,
                RenderCommand.class})
public final class LoraCommands {
    /** The commands that need a session (their {@link LoraCommand#sessionOnly()}), for the help. */
    static final String SESSION_COMMANDS = "load, attach, load-adapter, adapters, use, disable, unload, combine, data, step, save, status";
}
