package io.jlora.magics;

import io.jlora.magics.commands.CommandRunner;
import io.jlora.model.CausalLm;

import java.util.List;

/**
 * The Java door to the same commands, for cells and JShell: {@code Lora.load("models/tiny")},
 * {@code Lora.generate("Once upon", 20)}, or any command line with {@code Lora.run("score --text hi")}.
 * Everything acts on the session the %lora magics use.
 */
public final class Lora {
    private Lora() {
    }

    /** Runs a command line (without the leading {@code %lora}) and returns its result. */
    public static CommandResult run(String commandLine) {
        return run(ShellWords.split(commandLine));
    }

    public static CommandResult run(List<String> words) {
        try {
            CommandRunner.Outcome outcome = new CommandRunner(LoraSession.shared(), "Lora.run", true).run(words);
            if (outcome.helpText() != null) System.out.print(outcome.helpText());
            return outcome.result();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new io.jlora.JloraException(e.getMessage(), e);
        }
    }

    public static ModelSummary load(String modelDir) {
        return (ModelSummary) run(List.of("load", "--model", modelDir));
    }

    /** The loaded model itself, for Java code that goes beyond the commands. */
    public static CausalLm model() {
        return LoraSession.shared().model();
    }

    public static CommandResult generate(String prompt, int maxNewTokens) {
        return run(List.of("generate", "--prompt", prompt, "--max-new-tokens", String.valueOf(maxNewTokens)));
    }

    public static CommandResult score(String text) {
        return run(List.of("score", "--text", text));
    }

    public static CommandResult status() {
        return run(List.of("status"));
    }

    public static void help() {
        run(List.of("help"));
    }

}
