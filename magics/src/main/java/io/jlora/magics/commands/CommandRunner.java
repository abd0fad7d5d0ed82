package io.jlora.magics.commands;

import io.jlora.JloraException;
import io.jlora.magics.CommandResult;
import io.jlora.magics.LoraSession;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * Parses a command's words and runs it: the one parser behind {@code %lora}, {@code bin/jlora} and
 * the {@code Lora} helpers, so that names, defaults and errors are the same at every door.
 */
public final class CommandRunner {
    /** A bad command line: unknown option, bad value. The CLI exits with 2; a notebook shows one line. */
    public static final class UsageException extends JloraException {
        public UsageException(String message) {
            super(message);
        }
    }

    /** What a run gave: a result, or help text when help was asked for. */
    public record Outcome(CommandResult result, String helpText, boolean json) {
    }

    private final LoraSession session;
    private final String programName;
    private final boolean inNotebook;

    /**
     * @param inNotebook true in a session that outlives the command (a notebook, JShell, tests);
     *     false for one bin/jlora run, which refuses the session commands
     */
    public CommandRunner(LoraSession session, String programName, boolean inNotebook) {
        this.session = session;
        this.programName = programName;
        this.inNotebook = inNotebook;
    }

    public CommandLine commandLine() {
        CommandLine line = new CommandLine(new LoraCommands());
        line.setCommandName(programName);
        line.setCaseInsensitiveEnumValuesAllowed(true);
        line.setDefaultValueProvider(new ConfigDefaults());
        return line;
    }

    public Outcome run(List<String> args) throws Exception {
        CommandLine line = commandLine();
        refuseSessionCommand(line, args);
        CommandLine.ParseResult parsed;
        try {
            parsed = line.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(redact(e.getMessage() + suggestion(e), args));
        }
        StringWriter help = new StringWriter();
        line.setOut(new PrintWriter(help));
        if (CommandLine.printHelpIfRequested(parsed)) return new Outcome(null, help.toString(), false);
        List<CommandLine> chain = parsed.asCommandLineList();
        CommandLine leaf = chain.get(chain.size() - 1);
        if (!(leaf.getCommand() instanceof LoraCommand command)) {
            if (leaf.getCommand() instanceof HelpCommand helpCommand) return new Outcome(null, helpCommand.text(line), false);
            throw new UsageException("a command is required; '" + programName + " help' lists them");
        }
        if (inNotebook && command.cliOnly()) {
            throw new UsageException("'" + leaf.getCommandName() + "' is a command-line command: run bin/jlora " + leaf.getCommandName());
        }
        command.bind(session);
        return new Outcome(command.execute(), null, command.wantsJson());
    }

    /** On the command line, a session command is refused before its options are even checked (its help is given). */
    private void refuseSessionCommand(CommandLine line, List<String> args) {
        if (inNotebook || args.isEmpty() || args.contains("-h") || args.contains("--help")) return;
        CommandLine sub = line.getSubcommands().get(args.get(0));
        if (sub != null && sub.getCommand() instanceof LoraCommand command && command.sessionOnly()) {
            String name = args.get(0);
            throw new UsageException("'" + name + "' needs a session: it acts on what earlier commands loaded, and each "
                    + programName + " run is a fresh process; run it in bin/jlora-shell (Lora.run(\"" + name
                    + " ...\")) or a notebook (%lora " + name + " ...), or use the one-shot train, dpo, generate or score with --model");
        }
    }

    /**
     * A parse error quotes the words it could not place; a mistyped {@code --tokn hf_...} would put a
     * secret on the screen. Words that look like tokens, or follow an option named like one, are masked.
     */
    static String redact(String message, List<String> args) {
        String redacted = message;
        for (int i = 0; i < args.size(); i++) {
            String word = args.get(i);
            boolean secret = word.startsWith("hf_") || i > 0 && args.get(i - 1).startsWith("--") && args.get(i - 1).toLowerCase().contains("tok");
            if (secret && word.length() > 3) redacted = redacted.replace(word, "***");
        }
        return redacted;
    }

    private static String suggestion(CommandLine.ParameterException e) {
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            return " (did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?)";
        }
        return "";
    }
}
