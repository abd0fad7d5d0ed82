package io.jlora.magics;

import io.jlora.JloraException;
import io.jlora.model.CausalLm;

import java.nio.file.Path;

/**
 * What a notebook (or a JShell session, or one CLI run) has loaded so far: the model, and as the
 * work goes on its adapters, data and trainer. Commands read and change it; the kernel's %lora magics
 * and the {@link Lora} helpers share {@link #shared()}, so a model loaded by a magic is the one Java
 * code in the next cell sees.
 */
public final class LoraSession implements AutoCloseable {
    public LoraSession() {
    }

    private static final LoraSession SHARED = new LoraSession();

    private CausalLm model;

    public static LoraSession shared() {
        return SHARED;
    }

    public synchronized boolean hasModel() {
        return model != null;
    }

    /** The loaded model; an error that says what to do when there is none. */
    public synchronized CausalLm model() {
        if (model == null) throw new JloraException("no model is loaded: run 'load --model DIR' first (or pass --model)");
        return model;
    }

    /** Replaces the loaded model, closing the one before (its native memory is freed). */
    public synchronized void setModel(CausalLm loaded) {
        if (model != null && model != loaded) model.close();
        model = loaded;
    }

    /** Loads {@code dir} unless it is the model already loaded. */
    public synchronized CausalLm ensureModel(Path dir, String device, String dtype) {
        if (dir == null) return model();
        if (model != null && model.dir().toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) return model;
        setModel(CausalLm.load(dir, device, dtype));
        return model;
    }

    @Override
    public synchronized void close() {
        setModel(null);
    }
}
