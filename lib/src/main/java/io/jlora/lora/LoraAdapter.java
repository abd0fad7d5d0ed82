package io.jlora.lora;

import java.util.List;

/**
 * One attached adapter as {@link Adapters} lists it.
 *
 * @param name the adapter's name (PEFT's adapter_name, "default" by convention)
 * @param config what it was built from, with base_model_name_or_path filled in
 * @param modules the module paths it adapts, in model order
 */
public record LoraAdapter(String name, LoraConfig config, List<String> modules) {

    public LoraAdapter {
        modules = List.copyOf(modules);
    }
}
