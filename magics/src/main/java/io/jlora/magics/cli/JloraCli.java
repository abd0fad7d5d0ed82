package io.jlora.magics.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.JloraException;
import io.jlora.magics.LoraSession;
import io.jlora.magics.commands.CommandRunner;

import java.util.Arrays;

/**
 * {@code bin/jlora}: runs one command in a fresh session. Exit status 0 on success, 2 for a bad
 * command line (the message names the option), 1 when the command itself fails (the message says why).
 * With {@code --json} the last line printed is one JSON object.
 */
public final class JloraCli {
    private JloraCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        try (LoraSession session = new LoraSession()) {
            CommandRunner.Outcome outcome = new CommandRunner(session, "jlora", false).run(Arrays.asList(args));
            if (outcome.helpText() != null) {
                System.out.print(outcome.helpText());
            } else if (outcome.json()) {
                System.out.println(new ObjectMapper().writeValueAsString(outcome.result().json()));
            } else {
                System.out.println(outcome.result().text());
            }
            return 0;
        } catch (CommandRunner.UsageException e) {
            System.err.println("jlora: " + e.getMessage());
            return 2;
        } catch (JloraException | IllegalArgumentException e) {
            System.err.println("jlora: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            System.err.println("jlora: " + e);
            return 1;
        }
    }
}
