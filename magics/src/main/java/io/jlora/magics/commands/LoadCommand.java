package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import io.jlora.magics.ModelSummary;
import io.jlora.model.CausalLm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code load --model DIR [--device auto|cpu|gpu[:N]] [--dtype auto|float32|float16] [--quantization int4]}. */
@Command(name = "load", description = "Loads a Hugging Face model folder (config.json, *.safetensors, tokenizer.json).",
        footer = {"%nExample:%n  load --model models/tiny --quantization int4"})
public final class LoadCommand extends LoraCommand {
    @Override
    public boolean sessionOnly() {
        return true;
    }

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the model folder")
    Path model;

    @Mixin
    LoadOptions load;

    @Override
    public CommandResult execute() {
        CausalLm loaded = load.loadInto(session, model, null);
        return new ModelSummary(loaded, session.loadSeconds(), session.quantization());
    }
}
