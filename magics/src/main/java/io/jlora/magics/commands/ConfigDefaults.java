package io.jlora.magics.commands;

import io.jlora.InvalidFieldException;
import io.jlora.lora.LoraConfig;
import io.jlora.train.TrainerConfig;
import java.lang.reflect.Field;
import java.lang.reflect.RecordComponent;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The default of every option that sets a field of {@link TrainerConfig} or {@link LoraConfig},
 * read from the config's {@code defaults()}: the configs are the one place a default is written,
 * and the options carry no {@code defaultValue} of their own. Also turns a config's
 * {@link InvalidFieldException} into a usage error under the option's name.
 */
final class ConfigDefaults implements IDefaultValueProvider {

    /** Per class declaring the options: option name to the config field it sets. */
    private static final Map<Class<?>, Map<String, String>> TRAINER_FIELDS = Map.of(
            TrainingOptions.class, Map.ofEntries(Map.entry("--steps", "steps"), Map.entry("--epochs", "epochs"),
                    Map.entry("--lr", "lr"), Map.entry("--batch-size", "batchSize"),
                    Map.entry("--gradient-accumulation", "gradientAccumulation"), Map.entry("--scheduler", "scheduler"),
                    Map.entry("--warmup-ratio", "warmupRatio"), Map.entry("--max-grad-norm", "maxGradNorm"),
                    Map.entry("--weight-decay", "weightDecay"), Map.entry("--gradient-checkpointing", "gradientCheckpointing"),
                    Map.entry("--keep-quantized-outputs", "keepQuantizedOutputs"),
                    Map.entry("--seed", "seed"), Map.entry("--eval-every", "evalEvery")),
            TrainCommand.class, Map.of("--save-every", "saveEvery"),
            DpoCommand.class, Map.of("--dpo-beta", "dpoBeta"));

    private static final Map<Class<?>, Map<String, String>> LORA_FIELDS = Map.of(
            AttachCommand.LoraOptions.class, Map.of("--lora-r", "r", "--lora-alpha", "loraAlpha",
                    "--lora-dropout", "loraDropout", "--target-modules", "targetModules", "--init", "init",
                    "--use-rslora", "useRslora", "--use-dora", "useDora", "--layers-to-transform", "layersToTransform"),
            MemoryCommand.class, Map.of("--lora-r", "r"));

    /** Options left null when not given (the config's 0): neither means one epoch, both is an error. */
    private static final java.util.Set<String> UNSET = java.util.Set.of("--steps", "--epochs");

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !(arg.userObject() instanceof Field field)) {
            return null;
        }
        Class<?> owner = field.getDeclaringClass();
        if (owner == AttachCommand.class && option.longestName().equals("--seed")) {
            return String.valueOf(LoraConfig.DEFAULT_SEED);
        }
        if (UNSET.contains(option.longestName())) {
            return null;
        }
        String name = TRAINER_FIELDS.getOrDefault(owner, Map.of()).get(option.longestName());
        if (name != null) {
            return text(component(TrainerConfig.defaults(), name));
        }
        name = LORA_FIELDS.getOrDefault(owner, Map.of()).get(option.longestName());
        return name == null ? null : text(component(LoraConfig.defaults(), name));
    }

    /** The usage error for a bad config value, under the option that sets it (or the field's name). */
    static CommandRunner.UsageException usage(InvalidFieldException e) {
        for (Map<Class<?>, Map<String, String>> table : java.util.List.of(TRAINER_FIELDS, LORA_FIELDS)) {
            for (Map<String, String> options : table.values()) {
                for (Map.Entry<String, String> o : options.entrySet()) {
                    if (o.getValue().equals(e.field())) {
                        return new CommandRunner.UsageException(o.getKey() + " " + e.problem());
                    }
                }
            }
        }
        return new CommandRunner.UsageException(e.getMessage());
    }

    /** Field {@code name} of a config record. */
    static Object component(Record config, String name) {
        for (RecordComponent c : config.getClass().getRecordComponents()) {
            if (c.getName().equals(name)) {
                try {
                    return c.getAccessor().invoke(config);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new IllegalStateException(config.getClass().getSimpleName() + " has no field " + name);
    }

    /** How a default reads on the command line: 2e-4, cosine, all-linear; null for none. */
    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Double d) {
            return Double.toString(d).replace(".0E", "E").replace('E', 'e');
        }
        if (value instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
        return value.toString();
    }
}
