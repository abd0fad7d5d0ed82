package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import io.jlora.magics.ModelSummary;
import picocli.CommandLine.Command;

import java.util.Map;

/** {@code status}: what is loaded, attached and trained. */
@Command(name = "status", description = "Shows what is loaded, attached and trained.")
public final class StatusCommand extends LoraCommand {
    @Override
    public CommandResult execute() {
        if (session.hasAdapters()) return new AdapterSummary(new ModelSummary(session.model(), 0).text(), session.adapters());
        if (session.hasModel()) return new ModelSummary(session.model(), 0);
        return new CommandResult() {
            @Override
            public String text() {
                return "nothing loaded yet: load --model DIR";
            }

            @Override
            public Map<String, Object> json() {
                return Map.of("model", "");
            }
        };
    }
}
