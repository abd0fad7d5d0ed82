package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** The small adapter-management commands: load-adapter, adapters, use, disable, unload, combine. */
public final class AdapterCommands {
    private AdapterCommands() {
    }

    @Command(name = "load-adapter", description = "Loads a PEFT adapter folder without merging it.", footer = {"%nExample:%n  load-adapter --adapter-path out --name chat"})
    public static final class LoadAdapter extends LoraCommand {
        @Override
        public boolean sessionOnly() {
            return true;
        }

        @Option(names = "--adapter-path", required = true, paramLabel = "DIR", description = "the PEFT adapter folder")
        Path path;
        @Option(names = "--name", defaultValue = "default", description = "name to give it (default: ${DEFAULT-VALUE})", paramLabel = "NAME")
        String name;
        @picocli.CommandLine.Mixin
        ModelOptions modelOptions;

        @Override
        public CommandResult execute() {
            modelOptions.resolve(session);
            session.adapters().load(io.jlora.magics.HubFolders.adapter(path, modelOptions.load.token), name);
            session.adapters().use(name);
            return new AdapterSummary("loaded adapter '" + name + "' from " + path, session.adapters());
        }
    }

    @Command(name = "adapters", description = "Lists the adapters, which are active, and their sizes.", footer = {"%nExample:%n  adapters --json"})
    public static final class ListAdapters extends LoraCommand {
        @Override
        public boolean sessionOnly() {
            return true;
        }

        @Override
        public CommandResult execute() {
            return new AdapterSummary("adapters", session.adapters());
        }
    }

    @Command(name = "use", description = "Makes the named adapter(s) active (and turns adapters back on after disable).", footer = {"%nExample:%n  use chat"})
    public static final class Use extends LoraCommand {
        @Override
        public boolean sessionOnly() {
            return true;
        }

        @Parameters(arity = "1..*", paramLabel = "NAME", description = "adapter names, as 'adapters' lists them")
        List<String> names;

        @Override
        public CommandResult execute() {
            session.enableAdapters();
            session.adapters().use(names.toArray(String[]::new));
            return new AdapterSummary("using " + String.join(", ", names), session.adapters());
        }
    }

    @Command(name = "disable", description = "Runs the plain base model until 'use NAME'.", footer = {"%nExample:%n  disable"})
    public static final class Disable extends LoraCommand {
        @Override
        public boolean sessionOnly() {
            return true;
        }

        @Override
        public CommandResult execute() {
            session.disableAdapters();
            return new AdapterSummary("adapters disabled (the base model runs; 'use NAME' turns them back on)", session.adapters());
        }
    }

    @Command(name = "unload", description = "Removes an adapter (--name) or all of them, restoring the base layers.", footer = {"%nExample:%n  unload --name chat"})
    public static final class Unload extends LoraCommand {
        @Override
        public boolean sessionOnly() {
            return true;
        }

        @Option(names = "--name", description = "the adapter to remove (default: all)", paramLabel = "NAME")
        String name;

        @Override
        public CommandResult execute() {
            session.enableAdapters();
            if (name != null) session.adapters().delete(name);
            else session.adapters().unload();
            return new AdapterSummary(name != null ? "removed adapter '" + name + "'" : "removed every adapter", session.adapters());
        }
    }

    @Command(name = "combine", description = "Weighted combination of adapters into a new one (linear or cat).",
            footer = {"%nExample:%n  combine --adapters chat,code --weights 0.7,0.3 --name mix"})
    public static final class Combine extends LoraCommand {
        @Override
        public boolean sessionOnly() {
            return true;
        }

        @Option(names = "--adapters", required = true, split = ",", paramLabel = "NAME,NAME", description = "the adapters to combine")
        List<String> names;
        @Option(names = "--weights", required = true, split = ",", paramLabel = "NUMBER,NUMBER", description = "one weight per adapter")
        List<Double> weights;
        @Option(names = "--name", defaultValue = "combined", description = "the new adapter's name (default: ${DEFAULT-VALUE})", paramLabel = "NAME")
        String name;
        @Option(names = "--combination-type", defaultValue = "linear", description = "linear (same rank) or cat (default: ${DEFAULT-VALUE})", paramLabel = "TYPE")
        String type;

        @Override
        public CommandResult execute() {
            if (names.size() != weights.size()) {
                throw new CommandRunner.UsageException("--adapters names " + names.size() + " adapters but --weights gives " + weights.size() + " weights");
            }
            session.adapters().addWeighted(names, weights, name, type);
            session.adapters().use(name);
            return new AdapterSummary("combined " + names + " as '" + name + "' (" + type + ")", session.adapters());
        }
    }
}
