package io.jlora.magics.commands;

import io.jlora.lora.LoraConfig;
import io.jlora.magics.CommandResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;

/** {@code attach [--name default] [--lora-r 16] [--lora-alpha 32] ...}: adds a trainable LoRA adapter. */
@Command(name = "attach", description = "Adds a trainable LoRA adapter to the loaded model.",
        footer = {"%nExample:%n  attach --name chat --lora-r 16 --lora-alpha 32 --target-modules q_proj,v_proj"})
public final class AttachCommand extends LoraCommand {
    @Override
    public boolean sessionOnly() {
        return true;
    }

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--name", defaultValue = "default", description = "adapter name (default: ${DEFAULT-VALUE})", paramLabel = "NAME")
    String name;

    @Mixin
    LoraOptions lora;

    @Option(names = "--seed", description = "seed of the initial weights (default: ${DEFAULT-VALUE})", paramLabel = "N")
    long seed;

    @Override
    public CommandResult execute() {
        modelOptions.resolve(session);
        LoraConfig config = lora.config();
        session.adapters().add(name, config, seed);
        session.adapters().use(name);
        return new AdapterSummary("attached adapter '" + name + "'", session.adapters());
    }

    /** The LoRA options shared by attach, train, dpo and compare, with PEFT's names. */
    public static final class LoraOptions {
        @Option(names = "--lora-r", description = "rank (default: ${DEFAULT-VALUE})", paramLabel = "N")
        int r;
        @Option(names = "--lora-alpha", description = "alpha; the scale is alpha/r (default: ${DEFAULT-VALUE})", paramLabel = "NUMBER")
        double alpha;
        @Option(names = "--lora-dropout", description = "dropout on the adapter's input (default: ${DEFAULT-VALUE})", paramLabel = "FRACTION")
        double dropout;
        @Option(names = "--target-modules", description = "all-linear (every linear layer but the output head), a comma list of names (suffix match) or a regex (default: ${DEFAULT-VALUE})", paramLabel = "MODULES")
        String targetModules;
        @Option(names = "--layers-to-transform", split = ",", paramLabel = "N,N", description = "only these layer indices")
        List<Integer> layers;
        @Option(names = "--use-rslora", arity = "0..1", fallbackValue = "true", description = "scale alpha/sqrt(r)", paramLabel = "BOOL")
        boolean useRslora;
        @Option(names = "--use-dora", arity = "0..1", fallbackValue = "true", description = "DoRA: a magnitude vector per output row", paramLabel = "BOOL")
        boolean useDora;
        @Option(names = "--init", description = "default, gaussian or pissa (default: ${DEFAULT-VALUE})", paramLabel = "METHOD")
        String init;

        LoraConfig config() {
            LoraConfig.Builder b = LoraConfig.builder().r(r).loraAlpha(alpha).loraDropout(dropout)
                    .targetModules(targetModules).useRslora(useRslora).useDora(useDora);
            try {
                b.init(init);
            } catch (RuntimeException e) {
                throw new CommandRunner.UsageException("--init: " + e.getMessage());
            }
            if (layers != null) b.layersToTransform(layers);
            try {
                return b.build();
            } catch (io.jlora.InvalidFieldException e) {
                throw ConfigDefaults.usage(e);
            }
        }
    }
}
