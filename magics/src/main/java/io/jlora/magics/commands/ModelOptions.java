package io.jlora.magics.commands;

import io.jlora.magics.LoraSession;
import io.jlora.model.CausalLm;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --model DIR} for commands that need a model: loads it (as {@link LoadOptions} say) unless the session has it already. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR", description = "model folder (default: the loaded model)")
    Path model;

    @Mixin
    LoadOptions load;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT adapter folder to apply (loaded once, then made active)")
    Path adapter;

    CausalLm resolve(LoraSession session) {
        return resolve(session, null);
    }

    /** As {@link #resolve(LoraSession)}, loading --model in {@code dtype} (null: --dtype). */
    CausalLm resolve(LoraSession session, String dtype) {
        return resolve(session, dtype, false);
    }

    /** As above; {@code forLoRA}: to train LoRA on it ({@link LoadOptions#loadInto(LoraSession, Path, String, boolean)}). */
    CausalLm resolve(LoraSession session, String dtype, boolean forLoRA) {
        CausalLm lm = model == null || session.isLoaded(model) ? session.model() : load.loadInto(session, model, dtype, forLoRA);
        if (adapter != null) session.useAdapterFrom(adapter);
        return lm;
    }
}
