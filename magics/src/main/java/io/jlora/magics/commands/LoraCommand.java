package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import io.jlora.magics.LoraSession;
import picocli.CommandLine.Option;

/**
 * A command of the one command surface: parsed by picocli from {@code %lora ...}, {@code bin/jlora ...}
 * or {@code Lora.run(...)}, executed against a {@link LoraSession}, returning a {@link CommandResult}.
 */
public abstract class LoraCommand {
    @Option(names = "--json", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "print the result as one JSON object (last line)")
    boolean json;

    LoraSession session;

    public boolean wantsJson() {
        return json;
    }

    /** Set by the runner before {@link #execute()}. */
    public void bind(LoraSession session) {
        this.session = session;
    }

    public abstract CommandResult execute() throws Exception;

    /**
     * True for commands that act only on the session's state (what earlier commands loaded): a
     * bin/jlora run is a fresh process, so there they are refused. Listed in {@link LoraCommands#SESSION_COMMANDS}.
     */
    public boolean sessionOnly() {
        return false;
    }

    /** True for commands that make sense only on the command line (install-kernel). */
    public boolean cliOnly() {
        return false;
    }
}
