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

    /** {@code train --steps N}: N steps of LoRA on the session's data (the active adapter, one attached if none). */
    public static CommandResult train(long steps) {
        return run(List.of("train", "--steps", String.valueOf(steps)));
    }

    /** {@code train --steps N --peft P}: LoRA (the active adapter, one attached if none) or, with peft false, every weight. */
    public static CommandResult train(long steps, boolean peft) {
        return run(List.of("train", "--steps", String.valueOf(steps), "--peft", String.valueOf(peft)));
    }

    /** {@code dpo --steps N --peft P} on the session's preference data. */
    public static CommandResult dpo(long steps, boolean peft) {
        return run(List.of("dpo", "--steps", String.valueOf(steps), "--peft", String.valueOf(peft)));
    }

    /**
     * {@code compare --configs CONFIGS --steps N}: e.g. {@code Lora.compare("r8,r16,r64,r16+4bit,full", 50)}
     * trains the session's data with each configuration from a fresh load of the loaded model's folder.
     */
    public static CommandResult compare(String configs, long steps) {
        return run(List.of("compare", "--configs", configs, "--steps", String.valueOf(steps)));
    }

    /**
     * {@code render --file F --rows SPEC}: what those rows become for training (rendered text, ids,
     * the tokens that carry loss), with the loaded model's tokenizer; e.g. {@code Lora.render("chat.jsonl", "0-2")}.
     */
    public static CommandResult render(String file, String rows) {
        return run(List.of("render", "--file", file, "--rows", rows));
    }

    public static CommandResult status() {
        return run(List.of("status"));
    }

    public static void help() {
        run(List.of("help"));
    }

}
