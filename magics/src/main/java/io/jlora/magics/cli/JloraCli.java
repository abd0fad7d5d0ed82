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
        quietLogging();
        System.exit(run(args));
    }

    /**
     * DJL's informational lines (engine and thread counts) and, on a machine without a GPU, its
     * "CUDA driver version is insufficient" warning are not the user's concern on a command line:
     * warnings only, and the CUDA probe's only when it is an error. Set before any logger exists;
     * -D options given to the JVM win.
     */
    static void quietLogging() {
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
        System.getProperties().putIfAbsent("ai.djl.offline", "true");
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
