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
        Path dir = model == null ? null : io.jlora.magics.HubFolders.model(model, load.token);
        CausalLm lm = dir == null || session.isLoaded(dir) ? session.model() : load.loadInto(session, dir, dtype, forLoRA);
        if (adapter != null) session.useAdapterFrom(io.jlora.magics.HubFolders.adapter(adapter, load.token));
        return lm;
    }
}
