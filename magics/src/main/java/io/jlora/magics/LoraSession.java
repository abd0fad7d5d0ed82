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
    private io.jlora.data.Dataset dataset;
    private io.jlora.data.TokenizeOptions tokenizeOptions = io.jlora.data.TokenizeOptions.defaults();
    private io.jlora.train.Trainer trainer;
    private io.jlora.lora.Adapters adapters;
    /** Held while the 'disable' command has the adapters off; 'use' closes it. */
    private io.jlora.lora.Adapters.Disabled disabled;
    /** Whether training changed the model's own weights (--peft false): 'save' then writes them. */
    private boolean fullyTrained;
    /** How long loading the model took, and its base's quantization ("none" for a dense base). */
    private double loadSeconds;
    private String quantization = "none";
    /** Set on a member of a cluster job: the group this session trains in, and how to start. */
    private io.jlora.train.DataParallel group;
    private boolean resumeLatest;
    private final java.util.List<io.jlora.train.TrainingListener> groupListeners = new java.util.ArrayList<>();

    /**
     * Makes this session a member of a data-parallel {@code group} (a cluster job's task): its
     * trainers {@link io.jlora.train.Trainer#distribute distribute} over the group, member 0 alone
     * writes; with {@code resumeLatest} (a retried job) training resumes from the output folder's
     * latest checkpoint; {@code listeners} see every trainer's steps.
     */
    public synchronized void joinGroup(io.jlora.train.DataParallel group, boolean resumeLatest,
            java.util.List<io.jlora.train.TrainingListener> listeners) {
        this.group = group;
        this.resumeLatest = resumeLatest;
        this.groupListeners.clear();
        this.groupListeners.addAll(listeners);
    }

    /** The data-parallel group this session trains in, or null. */
    public synchronized io.jlora.train.DataParallel group() {
        return group;
    }

    public synchronized boolean resumeLatest() {
        return resumeLatest;
    }

    public synchronized java.util.List<io.jlora.train.TrainingListener> groupListeners() {
        return java.util.List.copyOf(groupListeners);
    }

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

    /** Replaces the loaded model, noting how long loading it took and its base's quantization. */
    public synchronized void setModel(CausalLm loaded, double seconds, String quantizationLabel) {
        setModel(loaded);
        loadSeconds = seconds;
        quantization = quantizationLabel;
    }

    public synchronized double loadSeconds() {
        return loadSeconds;
    }

    public synchronized String quantization() {
        return quantization;
    }

    /** Whether the model loaded now is the one in {@code dir}. */
    public synchronized boolean isLoaded(Path dir) {
        return model != null && model.dir().toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize());
    }

    /** Replaces the loaded model, closing the one before (its native memory is freed). */
    public synchronized void setModel(CausalLm loaded) {
        if (model != null && model != loaded) model.close();
        if (model != loaded) {
            adapters = null;
            disabled = null;
            fullyTrained = false;
            closeTrainer();
            loadSeconds = 0;
            quantization = "none";
        }
        model = loaded;
    }

    /** The adapters of the loaded model (created empty on first use). */
    public synchronized io.jlora.lora.Adapters adapters() {
        if (adapters == null) adapters = io.jlora.lora.Adapters.of(model());
        return adapters;
    }

    public synchronized boolean hasAdapters() {
        return model != null && adapters != null && !adapters.names().isEmpty();
    }

    /** Notes that a full fine-tuning run trains the loaded model's own weights. */
    public synchronized void markFullyTrained() {
        fullyTrained = true;
    }

    /** True once 'train' or 'dpo' with --peft false trained the loaded model's weights. */
    public synchronized boolean fullyTrained() {
        return fullyTrained;
    }

    /** The dataset of the last 'data' command and how to tokenize it. */
    public synchronized void setData(io.jlora.data.Dataset data, io.jlora.data.TokenizeOptions options) {
        dataset = data;
        tokenizeOptions = options;
        closeTrainer();
    }

    public synchronized io.jlora.data.Dataset dataset() {
        if (dataset == null) throw new JloraException("no dataset: run 'data --file F' first (or pass --file)");
        return dataset;
    }

    /** The dataset of the last 'data' command, or null. */
    public synchronized io.jlora.data.Dataset datasetOrNull() {
        return dataset;
    }

    public synchronized io.jlora.data.TokenizeOptions tokenizeOptions() {
        return tokenizeOptions;
    }

    /** The trainer 'train' made last, which 'step' continues; null when there is none. */
    public synchronized io.jlora.train.Trainer trainer() {
        return trainer;
    }

    public synchronized void setTrainer(io.jlora.train.Trainer next) {
        if (trainer != next) closeTrainer();
        trainer = next;
    }

    private void closeTrainer() {
        if (trainer != null) trainer.close();
        trainer = null;
    }

    /** Loads the PEFT adapter in {@code dir} (once: its path names it) and makes it the active one. */
    public synchronized void useAdapterFrom(Path dir) {
        String name = adapterNameOf(dir);
        if (!adapters().names().contains(name)) adapters().load(dir, name);
        enableAdapters();
        adapters().use(name);
    }

    /**
     * The adapter name a folder gets: its own name with every character an adapter name cannot
     * hold ('.', separators, spaces) replaced, and a hash of its whole path, so that two folders of
     * the same name stay apart ({@code runs/qwen2.5-lora} -> {@code qwen2_5-lora-1a2b3c4d}).
     */
    public static String adapterNameOf(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        String file = abs.getFileName() == null ? "adapter" : abs.getFileName().toString();
        String readable = file.replaceAll("[^A-Za-z0-9_-]", "_");
        return (readable.isEmpty() ? "adapter" : readable) + "-" + String.format("%08x", abs.toString().hashCode());
    }

    /** Turns the adapters off until {@link #enableAdapters()}. */
    public synchronized void disableAdapters() {
        if (disabled == null) disabled = adapters().disable();
    }

    public synchronized void enableAdapters() {
        if (disabled != null) {
            disabled.close();
            disabled = null;
        }
    }

    @Override
    public synchronized void close() {
        setModel(null);
    }
}
