package io.jlora.magics.commands;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code help [command]}: every command with its options, or one command in full. */
@Command(name = "help", description = "Lists the commands, or documents one: help COMMAND (as COMMAND --help).", footer = {"%nExample:%n  help train"})
public final class HelpCommand {
    @Parameters(arity = "0..1", paramLabel = "COMMAND", description = "the command to document")
    String command;

    String text(CommandLine root) {
        if (command == null) return root.getUsageMessage(CommandLine.Help.Ansi.OFF);
        CommandLine sub = root.getSubcommands().get(command);
        if (sub == null) {
            throw new CommandRunner.UsageException("no command '" + command + "'; commands: " + String.join(", ", root.getSubcommands().keySet()));
        }
        return sub.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }
}
