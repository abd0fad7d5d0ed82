package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.JloraException;
import io.jlora.model.CausalLm;
import io.jlora.model.Decoder;
import io.jlora.model.Linear;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named LoRA adapters of one loaded model, PEFT's {@code PeftModel}/{@code LoraModel}: attach
 * ({@link #add}), load and save in PEFT's format, list, switch ({@link #use}), run the plain base
 * ({@link #disable}), merge and unmerge, remove ({@link #delete}, {@link #unload}), combine
 * ({@link #addWeighted}) and save the merged model ({@link #saveMerged}). This class is the
 * registry and the switch; PEFT's files are {@link AdapterFiles}', the merged folder is
 * {@link ModelWriter}'s, the decoder slots are {@link AdaptedLayers}'.
 *
 * <p>Adapted layers are {@link LoraLinear}s put in the decoder's slots, so generation, scoring and
 * training see the adapters without knowing of them. Each adapter's arrays live in a sub-manager
 * of the model's, closed when the adapter is removed. As in PEFT, the first adapter becomes the
 * active one and later ones wait for {@link #use}.
 *
 * <p>Get the instance of a model with {@link #of(CausalLm)}: every call on the same model returns
 * the same one (kept as the model's {@link CausalLm#attachment attachment}).
 *
 * <p>Longer than 350 lines on purpose: it is PEFT's {@code PeftModel} surface, two dozen public
 * operations of a few lines each over one registry, whose rules (names exist and are unique,
 * nothing changes while adapters are merged, disable handles nest) are checked here in one place;
 * the mechanics each have their own class.
 */
public final class Adapters {

    private final CausalLm lm;
    private final Decoder decoder;
    private final AdapterSwitch state = new AdapterSwitch();
    private final AdaptedLayers layers;
    private final Map<String, Entry> adapters = new LinkedHashMap<>();
    private int disabledDepth;

    /** One adapter: its config, the modules it adapts, and the manager of its arrays. */
    private record Entry(LoraAdapter info, NDManager manager, Map<String, LoraBranch> pissaInitial) {}

    private Adapters(CausalLm lm) {
        this.lm = lm;
        this.decoder = lm.decoder();
        this.layers = new AdaptedLayers(decoder, state);
    }

    /** The adapters of {@code lm}: one instance per model, made on first use. */
    public static Adapters of(CausalLm lm) {
        return lm.attachment(Adapters.class, Adapters::new);
    }

    // ---------------------------------------------------------------- attach, load, save

    /** Attaches a new trainable adapter with {@link LoraConfig#DEFAULT_SEED} for its random initial weights. */
    public LoraAdapter add(String name, LoraConfig config) {
        return add(name, config, LoraConfig.DEFAULT_SEED);
    }

    /**
     * Attaches a new trainable adapter (PEFT's add_adapter / get_peft_model). Throws, changing
     * nothing, when the name is taken or the targets match no linear layer.
     */
    public LoraAdapter add(String name, LoraConfig config, long seed) {
        checkNewName(name);
        requireUnmerged("add an adapter");
        LoraConfig c = withBase(config);
        List<String> targets = TargetMatcher.resolve(c, decoder.linears().keySet());
        return attach(name, c, targets, BranchFactory.initialBranches(c, seed));
    }

    /**
     * Loads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) under {@code
     * name} (PEFT's load_adapter). The folder is checked against this model before anything is
     * loaded; a PiSSA adapter recomputes its residual base from this model's weights, as PEFT does.
     */
    public LoraAdapter load(Path dir, String name) {
        checkNewName(name);
        requireUnmerged("load an adapter");
        try (AdapterCheckpoint checkpoint = AdapterCheckpoint.open(dir, lm.config().family().modelType())) {
            List<String> targets = checkpoint.validate(layers.shapes());
            return attach(name, checkpoint.config(), targets, AdapterFiles.branches(checkpoint));
        }
    }

    /** Registers an adapter whose weights are given, e.g. a weighted combination. */
    LoraAdapter attachWeights(String name, LoraConfig config, Map<String, NDArray[]> weights) {
        checkNewName(name);
        requireUnmerged("add an adapter");
        LoraConfig c = withBase(config);
        return attach(name, c, new ArrayList<>(weights.keySet()), (path, base, owner, pissa) -> {
            NDArray[] ab = weights.get(path);
            NDArray a = ManagedArrays.own(owner, ab[0]);
            NDArray b = ManagedArrays.own(owner, ab[1]);
            return BranchFactory.branch(c, path, base, a, b, null, owner);
        });
    }

    /** Makes one module's branch; may rewrite the base (PiSSA) and record how to undo it. */
    interface BranchMaker {
        LoraBranch make(String path, Linear base, NDManager owner, Map<String, LoraBranch> pissa);
    }

    private LoraAdapter attach(String name, LoraConfig config, List<String> targets, BranchMaker maker) {
        NDManager owner = decoder.manager().newSubManager();
        Map<String, LoraBranch> pissa = new LinkedHashMap<>();
        try {
            for (String path : targets) {
                LoraLinear layer = layers.wrap(path);
                layer.put(name, maker.make(path, layer.base(), owner, pissa));
            }
        } catch (RuntimeException e) {
            // every target: a layer may be wrapped, or its base rewritten (PiSSA), before its branch failed
            layers.detach(name, targets, pissa, true);
            owner.close();
            throw e;
        }
        LoraAdapter info = new LoraAdapter(name, config, List.copyOf(targets));
        adapters.put(name, new Entry(info, owner, pissa));
        if (state.active().isEmpty()) {
            state.setActive(List.of(name));
        }
        return info;
    }

    /**
     * Saves adapter {@code name} as a PEFT folder: adapter_config.json with PEFT's key set and
     * adapter_model.safetensors with PEFT's keys (adapter name stripped), plus the checksum
     * manifest. The folder is replaced whole ({@link OutputFolder}): a crash leaves the old
     * complete folder or the new one. Refuses the base model's folder. Returns the two files.
     */
    public List<Path> save(String name, Path dir) {
        return save(name, dir, true);
    }

    /** As {@link #save(String, Path)}; unless {@code overwrite}, refuses a folder that is not empty. */
    public List<Path> save(String name, Path dir, boolean overwrite) {
        return AdapterFiles.save(entry(name).info(), layers, dir, overwrite, lm.dir(), decoder.manager());
    }

    /**
     * Writes adapter {@code name}'s two PEFT files into {@code dir}, a folder whose commit the
     * caller owns (a training checkpoint's staging folder). Returns the two files.
     */
    public List<Path> writeInto(String name, Path dir) {
        return AdapterFiles.write(entry(name).info(), layers, dir, decoder.manager());
    }

    // ---------------------------------------------------------------- list, switch, disable

    /** Adapter names, in the order they were added. */
    public List<String> names() {
        return List.copyOf(adapters.keySet());
    }

    public List<LoraAdapter> list() {
        return adapters.values().stream().map(Entry::info).toList();
    }

    public LoraAdapter get(String name) {
        return entry(name).info();
    }

    /** The adapters the forward applies (usually one). */
    public List<String> active() {
        return state.active();
    }

    /** Makes {@code names} the active adapters (PEFT's set_adapter). */
    public void use(String... names) {
        for (String n : names) {
            entry(n);
        }
        requireUnmerged("switch adapters");
        state.setActive(List.of(names));
    }

    /** True while a {@link #disable()} is open. */
    public boolean disabled() {
        return !state.enabled();
    }

    /**
     * Runs the plain base model until the returned handle is closed (PEFT's disable_adapter
     * context): {@code try (var off = adapters.disable()) { reference logits }}. Merged adapters are
     * unmerged meanwhile and merged back on close.
     */
    public Disabled disable() {
        List<String> remerge = disabledDepth == 0 && merged() ? state.active() : List.of();
        if (!remerge.isEmpty()) {
            unmerge();
        }
        disabledDepth++;
        state.setEnabled(false);
        return new Disabled(remerge);
    }

    /** The handle of {@link #disable()}; closing it turns the adapters back on. */
    public final class Disabled implements AutoCloseable {
        private final List<String> remerge;
        private boolean closed;

        private Disabled(List<String> remerge) {
            this.remerge = remerge;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (--disabledDepth == 0) {
                state.setEnabled(true);
                if (!remerge.isEmpty()) {
                    merge();
                }
            }
        }
    }

    /** Training mode turns LoRA dropout on; off by default (inference). */
    public void training(boolean on) {
        state.setTraining(on);
    }

    public boolean training() {
        return state.training();
    }

    /**
     * The trainable arrays of adapter {@code name} by PEFT key (A, B and DoRA magnitudes, each
     * requiring a gradient), for an optimizer. The arrays are the live parameters.
     */
    public Map<String, NDArray> parameters(String name) {
        return AdapterFiles.stateDict(entry(name).info(), layers);
    }

    /** The branch of adapter {@code name} on module {@code path}. */
    public LoraBranch branch(String name, String path) {
        entry(name);
        return layers.branch(path, name);
    }

    // ---------------------------------------------------------------- merge, remove

    /** True when active adapters are merged into the base weights. */
    public boolean merged() {
        return layers.all().stream().anyMatch(l -> !l.mergedNames().isEmpty());
    }

    /**
     * Merges the active adapters into the base weights in place (PEFT's merge_adapter): the forward
     * then costs what the base costs. Plain LoRA adds scale·B·A; DoRA rescales rows as PEFT does.
     */
    public void merge() {
        if (!state.enabled()) {
            throw new JloraException("adapters are disabled; close the disable() handle before merging");
        }
        checkMergeable(state.active(), true);
        for (String name : state.active()) {
            for (String path : entry(name).info().modules()) {
                layers.layer(path).merge(name);
            }
        }
    }

    /** Takes merged adapters back out of the base weights (exactly, up to float rounding). */
    public void unmerge() {
        for (LoraLinear l : layers.all()) {
            l.unmergeAll();
        }
    }

    /**
     * Removes adapter {@code name}: its layers get their previous linear back (the base, when no
     * other adapter remains), a PiSSA adapter's residual is turned back into the original weight,
     * and its arrays are freed. If it was active, the first remaining adapter becomes active.
     */
    public void delete(String name) {
        Entry e = entry(name);
        requireUnmerged("delete an adapter");
        layers.detach(name, e.info().modules(), e.pissaInitial(), true);
        e.manager().close();
        adapters.remove(name);
        List<String> active = new ArrayList<>(state.active());
        active.remove(name);
        if (active.isEmpty() && !adapters.isEmpty()) {
            active.add(adapters.keySet().iterator().next());
        }
        state.setActive(active);
    }

    /** Removes every adapter, unmerging first: the model is the base model again (PEFT's unload). */
    public void unload() {
        unmerge();
        for (String name : names()) {
            delete(name);
        }
    }

    /**
     * Merges the active adapters into the base weights for good and removes all adapters (PEFT's
     * merge_and_unload). The model then is a plain model with the merged weights.
     */
    public void mergeAndUnload() {
        if (!merged()) {
            merge();
        }
        List<String> active = state.active();
        for (String name : names()) {
            Entry e = entry(name);
            // a merged PiSSA adapter's residual is part of the merged weight; others are undone
            boolean keepResidual = active.contains(name);
            for (LoraLinear l : layers.all()) {
                if (l.mergedNames().contains(name)) {
                    l.forgetMerged(name);
                }
            }
            layers.detach(name, e.info().modules(), e.pissaInitial(), !keepResidual);
            e.manager().close();
            adapters.remove(name);
        }
        state.setActive(List.of());
    }

    /**
     * PEFT's add_weighted_adapter for {@code linear} (same rank required; A and B each a weighted
     * sum, with sqrt(|weight·scale|) on both and the sign on A) and {@code cat} (ranks concatenated,
     * weight·scale on A): a new inactive adapter {@code newName} with scale 1.
     */
    public LoraAdapter addWeighted(List<String> names, List<Double> weights, String newName, String combinationType) {
        List<LoraAdapter> sources = new ArrayList<>();
        for (String n : names) {
            sources.add(entry(n).info());
        }
        WeightedCombination combination = WeightedCombination.of(combinationType, sources, weights);
        try (NDManager tmp = decoder.manager().newSubManager()) {
            Map<String, NDArray[]> combined = combination.combine(path -> {
                Map<String, LoraBranch> byName = new LinkedHashMap<>();
                for (String n : names) {
                    LoraBranch b = layers.layer(path).branch(n);
                    if (b != null) {
                        byName.put(n, b);
                    }
                }
                return byName;
            }, tmp);
            return attachWeights(newName, combination.config(combined), combined);
        }
    }

    // ---------------------------------------------------------------- merged model

    /**
     * Writes the model with the active adapters merged as a Hugging Face folder (what PEFT's
     * merge_and_unload followed by save_pretrained gives), leaving this model unchanged: config.json
     * and tokenizer files copied from the base folder, each weight in the dtype the base checkpoint
     * stores it in. Refuses the base folder itself and, unless {@code overwrite}, a non-empty folder.
     */
    public List<Path> saveMerged(Path out, boolean overwrite) {
        return saveMerged(out, overwrite, HfFolderWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    public List<Path> saveMerged(Path out, boolean overwrite, long maxShardBytes) {
        List<String> applied = state.enabled() ? state.active() : List.of();
        checkMergeable(applied, true);
        return ModelWriter.write(lm, out, overwrite, maxShardBytes, layers.merged(applied));
    }

    /**
     * Throws what {@link #saveMerged} would throw for the active adapters, so that a long job can
     * refuse before it starts; {@code inMemory} false leaves out the dense-base check (a merge into
     * the base's files, {@link MergeTool}, takes a quantized base).
     */
    public void checkMergeable(boolean inMemory) {
        checkMergeable(state.enabled() ? state.active() : List.of(), inMemory);
    }

    /**
     * True when every layer the active adapters adapt has a dense base, so that {@link #saveMerged}
     * can merge them in memory; false on a quantized base (QLoRA), whose merged model comes from the
     * base's files instead.
     */
    public boolean denseBases() {
        return state.active().stream().allMatch(name -> layers.denseBases(entry(name).info().modules()));
    }

    private void checkMergeable(List<String> applied, boolean inMemory) {
        for (String name : applied) {
            layers.checkMergeable(entry(name).info().modules(), lm.config().tieWordEmbeddings(), inMemory);
        }
    }

    // ---------------------------------------------------------------- helpers

    private LoraConfig withBase(LoraConfig config) {
        return config.baseModelNameOrPath() != null ? config
                : config.toBuilder().baseModelNameOrPath(lm.dir().toString()).build();
    }

    private void checkNewName(String name) {
        if (name == null || name.isBlank() || name.contains(".")) {
            throw new JloraException("adapter name '" + name + "' must be non-empty and hold no '.'");
        }
        if (adapters.containsKey(name)) {
            throw new JloraException("an adapter named '" + name + "' already exists; adapters: " + names());
        }
    }

    private void requireUnmerged(String what) {
        if (merged()) {
            throw new JloraException("adapters are merged into the base weights; unmerge() before you " + what);
        }
    }

    private Entry entry(String name) {
        Entry e = adapters.get(name);
        if (e == null) {
            throw new JloraException("no adapter named '" + name + "'; adapters: " + names());
        }
        return e;
    }
}
