package io.jlora.magics.commands;

import io.jlora.magics.LoraSession;
import io.jlora.model.CausalLm;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --model DIR} for commands that need a model: loads it unless the session has it already. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR", description = "model folder (default: the loaded model)")
    Path model;

    @Option(names = "--device", defaultValue = "auto", description = "device when --model loads one (default: ${DEFAULT-VALUE})")
    String device;

    CausalLm resolve(LoraSession session) {
        return session.ensureModel(model, device, "auto");
    }
}
