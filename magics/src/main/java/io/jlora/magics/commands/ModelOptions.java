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

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT adapter folder to apply (loaded once, then made active)")
    Path adapter;

    @Option(names = "--token", paramLabel = "T", description = "Hugging Face token for a Hub id in --model/--adapter, else HF_TOKEN (never printed)")
    String token;

    CausalLm resolve(LoraSession session) {
        return resolve(session, "auto");
    }

    /** As {@link #resolve(LoraSession)}, loading --model in {@code dtype}. */
    CausalLm resolve(LoraSession session, String dtype) {
        CausalLm lm = session.ensureModel(io.jlora.magics.HubFolders.model(model, token), device, dtype);
        if (adapter != null) session.useAdapterFrom(io.jlora.magics.HubFolders.adapter(adapter, token));
        return lm;
    }
}
