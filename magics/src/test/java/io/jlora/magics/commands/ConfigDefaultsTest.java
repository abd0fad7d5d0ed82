package io.jlora.magics.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.lora.LoraConfig;
import io.jlora.model.autograd.QuantizedOutputs;
import io.jlora.train.TrainerConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Each default is defined once: the commands' option defaults are the library configs' defaults. */
class ConfigDefaultsTest {

    private static Object parsed(String... args) {
        CommandLine line = new CommandRunner(null, "jlora", false).commandLine();
        return line.parseArgs(args).subcommand().commandSpec().userObject();
    }

    @Test
    void trainingOptionsDefaultToTrainerConfigDefaults() {
        assertEquals(TrainerConfig.defaults(), ((TrainCommand) parsed("train")).config());
        assertEquals(TrainerConfig.defaults(), ((DpoCommand) parsed("dpo")).config());
        assertEquals(TrainerConfig.defaults(), ((CompareCommand) parsed("compare")).training.builder().build());
    }

    @Test
    void loraOptionsDefaultToLoraConfigDefaults() {
        for (String command : List.of("attach", "train", "dpo", "compare")) {
            Object c = parsed(command);
            AttachCommand.LoraOptions lora = c instanceof AttachCommand a ? a.lora
                    : c instanceof TrainCommand t ? t.lora : ((CompareCommand) c).lora;
            assertEquals(LoraConfig.defaults(), lora.config(), command);
        }
        assertEquals(LoraConfig.DEFAULT_SEED, ((AttachCommand) parsed("attach")).seed);
        assertEquals(LoraConfig.defaults().r(), ((MemoryCommand) parsed("memory", "--config", "config.json")).r);
    }

    /** Help shows each default the description promises, in the form the option accepts. */
    @Test
    void helpShowsTheConfigDefaults() {
        CommandLine line = new CommandRunner(null, "jlora", false).commandLine();
        for (String command : List.of("attach", "train", "dpo", "compare", "memory")) {
            for (OptionSpec o : line.getSubcommands().get(command).getCommandSpec().options()) {
                if (String.join(" ", o.description()).contains("${DEFAULT-VALUE}")) {
                    assertNotNull(o.defaultValueString(), command + " " + o.longestName());
                }
            }
        }
        String help = line.getSubcommands().get("train").getUsageMessage();
        assertTrue(help.contains("default: 2e-4") && help.contains("default: 0.05") && help.contains("default: cosine"), help);
    }

    /** --keep-quantized-outputs: auto (the default), none, attention, all, and alone all; true/false as before. */
    @Test
    void keepQuantizedOutputsTakesAPolicyAndAloneMeansAll() {
        assertEquals(QuantizedOutputs.AUTO, ((TrainCommand) parsed("train")).config().keepQuantizedOutputs());
        assertEquals(QuantizedOutputs.ATTENTION,
                ((TrainCommand) parsed("train", "--keep-quantized-outputs", "Attention")).config().keepQuantizedOutputs());
        assertEquals(QuantizedOutputs.ALL, ((TrainCommand) parsed("train", "--keep-quantized-outputs")).config().keepQuantizedOutputs());
        assertEquals(QuantizedOutputs.ALL,
                ((DpoCommand) parsed("dpo", "--keep-quantized-outputs", "all")).config().keepQuantizedOutputs());
        assertEquals(QuantizedOutputs.ALL,
                ((TrainCommand) parsed("train", "--keep-quantized-outputs=true")).config().keepQuantizedOutputs());
        assertEquals(QuantizedOutputs.NONE,
                ((TrainCommand) parsed("train", "--keep-quantized-outputs=False")).config().keepQuantizedOutputs());
        TrainCommand bad = (TrainCommand) parsed("train", "--keep-quantized-outputs", "some");
        CommandRunner.UsageException e = org.junit.jupiter.api.Assertions.assertThrows(CommandRunner.UsageException.class,
                bad::config);
        assertEquals("--keep-quantized-outputs must be auto, none, attention or all, not some", e.getMessage());
        assertTrue(new CommandRunner(null, "jlora", false).commandLine().getSubcommands().get("train").getUsageMessage()
                .contains("default: auto"));
    }

    @Test
    void badConfigValuesAreUsageErrorsNamingTheOption() {
        TrainCommand train = (TrainCommand) parsed("train", "--batch-size", "0");
        CommandRunner.UsageException e = org.junit.jupiter.api.Assertions.assertThrows(CommandRunner.UsageException.class,
                train::config);
        assertEquals("--batch-size must be >= 1, got 0", e.getMessage());
        AttachCommand attach = (AttachCommand) parsed("attach", "--lora-r", "0");
        e = org.junit.jupiter.api.Assertions.assertThrows(CommandRunner.UsageException.class, attach.lora::config);
        assertEquals("--lora-r must be >= 1, got 0", e.getMessage());
    }
}
