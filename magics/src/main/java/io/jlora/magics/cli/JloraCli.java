package io.jlora.magics.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/jlora}: the command line face of jlora. Every command here is also a {@code %lora} magic
 * and a Java helper (docs COMMANDS.md); {@code install-kernel} exists only here.
 * A bad option or value exits with status 2 and a message naming it.
 */
@Command(name = "jlora", mixinStandardHelpOptions = true, version = "jlora 0.1.0",
        description = "LoRA / QLoRA fine-tuning in Java, and a Jupyter kernel on JShell.",
        subcommands = {InstallKernelCommand.class, CommandLine.HelpCommand.class})
public final class JloraCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (jlora help lists them)");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new JloraCli())
                .setParameterExceptionHandler((ex, args) -> {
                    ex.getCommandLine().getErr().println("jlora: " + ex.getMessage());
                    return 2;
                })
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    cmd.getErr().println("jlora " + cmd.getCommandName() + ": " + ex.getMessage());
                    return ex instanceof IllegalArgumentException ? 2 : 1;
                });
    }
}
