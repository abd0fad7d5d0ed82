package io.jlora.magics;

import io.jlora.magics.commands.CommandRunner;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command answers -h/--help with its own help; every option is described; each command shows an example. */
class CommandHelpTest {
    static final LoraSession SESSION = new LoraSession();

    static CommandRunner cli() {
        return new CommandRunner(SESSION, "jlora", false);
    }

    static Map<String, CommandLine> commands() {
        return cli().commandLine().getSubcommands();
    }

    @Test
    void everyCommandAnswersHelpWithItsOwnUsage() throws Exception {
        assertTrue(commands().size() > 20, commands().keySet().toString());
        for (String name : commands().keySet()) {
            for (String flag : List.of("--help", "-h")) {
                String help = cli().run(List.of(name, flag)).helpText();
                assertNotNull(help, name + " " + flag);
                assertTrue(help.startsWith("Usage: jlora " + name), name + ": " + help);
                assertTrue(help.contains("Example"), name + " shows no example:\n" + help);
            }
        }
        String top = cli().run(List.of("--help")).helpText();
        assertTrue(top.contains("Session commands (load, attach") && top.contains("bin/jlora-shell"), top);
    }

    @Test
    void everyOptionHasADescriptionAndAPlaceholderInCapitals() {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : commands().entrySet()) {
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                String description = String.join(" ", o.description()).strip();
                if (description.isEmpty()) missing.add(e.getKey() + " " + o.longestName());
                String label = o.paramLabel();
                if (o.arity().max() > 0 && !label.matches("[A-Z0-9_.,|=\\[\\]]+(\\|[a-z]+)?")) missing.add(e.getKey() + " " + o.longestName() + " placeholder " + label);
            }
            for (var p : e.getValue().getCommandSpec().positionalParameters()) {
                if (String.join(" ", p.description()).isBlank()) missing.add(e.getKey() + " " + p.paramLabel());
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void versionNamesJloraDjlAndLibtorch() throws Exception {
        String version = cli().run(List.of("--version")).helpText();
        assertTrue(version.contains("jlora ") && version.contains("DJL 0.") && version.contains("libtorch 2."), version);
    }

    @Test
    void sessionCommandsAreRefusedOnTheCommandLineWithOneSentence() {
        for (String name : List.of("status", "load", "attach", "adapters", "use", "step", "save", "data")) {
            var e = assertThrows(CommandRunner.UsageException.class, () -> cli().run(List.of(name)));
            assertTrue(e.getMessage().startsWith("'" + name + "' needs a session"), name + ": " + e.getMessage());
        }
        var e = assertThrows(CommandRunner.UsageException.class, () -> cli().run(List.of("status")));
        assertTrue(e.getMessage().contains("bin/jlora-shell") && e.getMessage().contains("notebook"), e.getMessage());
        e = assertThrows(CommandRunner.UsageException.class, () -> cli().run(List.of("load", "--model", "m")));
        assertTrue(e.getMessage().contains("needs a session"), e.getMessage());
    }
}
