package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import io.jlora.model.CausalLm;
import io.jlora.model.Decoder;
import io.jlora.model.Linear;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The named LoRA adapters of one loaded model, PEFT's {@code PeftModel}/{@code LoraModel}: attach
 * ({@link #add}), load and save in PEFT's format, list, switch ({@link #use}), run the plain base
 * ({@link #disable}), merge and unmerge, remove ({@link #delete}, {@link #unload}), combine
 * ({@link #addWeighted}) and save the merged model ({@link #saveMerged}).
 *
 * <p>Adapted layers are {@link LoraLinear}s put in the decoder's slots, so generation, scoring and
 * training see the adapters without knowing of them. Each adapter's arrays live in a sub-manager
 * of the model's, closed when the adapter is removed. As in PEFT, the first adapter becomes the
 * active one and later ones wait for {@link #use}.
 *
 * <p>Get the instance of a model with {@link #of(CausalLm)}: every call on the same model returns
 * the one that manages its layers.
 */
public final class Adapters {

    private final CausalLm lm;
    private final Decoder decoder;
    private final AdapterSwitch state = new AdapterSwitch();
    private final Map<String, Entry> adapters = new LinkedHashMap<>();
    private int disabledDepth;

    /** One adapter: its config, the modules it adapts, and the manager of its arrays. */
    private record Entry(LoraAdapter info, NDManager manager, Map<String, LoraBranch> pissaInitial) {}

    private Adapters(CausalLm lm) {
        this.lm = lm;
        this.decoder = lm.decoder();
    }

    /** The adapters of {@code lm}: the instance already managing its layers, or a new one. */
    public static Adapters of(CausalLm lm) {
        for (Linear l : lm.decoder().linears().values()) {
            if (l instanceof LoraLinear lora) {
                return lora.owner();
            }
        }
        return new Adapters(lm);
    }

    // ---------------------------------------------------------------- attach, load, save

    /** Attaches a new trainable adapter with seed 42 for its random initial weights. */
    public LoraAdapter add(String name, LoraConfig config) {
        return add(name, config, 42);
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
        return attach(name, c, targets, (path, base, owner, pissa) -> {
            if (c.init() == LoraInit.PISSA) {
                LoraBranch initial = BranchFactory.pissa(c, path, base, owner, seed);
                pissa.put(path, initial);
                return BranchFactory.branch(c, path, base, initial.a().duplicate(), initial.b().duplicate(), null, owner);
            }
            NDArray[] ab = BranchFactory.initialWeights(c, path, base, owner, seed);
            return BranchFactory.branch(c, path, base, ab[0], ab[1], null, owner);
        });
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
            LoraConfig c = checkpoint.config();
            List<String> targets = checkpoint.validate(linearShapes());
            return attach(name, c, targets, (path, base, owner, pissa) -> {
                if (c.init() == LoraInit.PISSA) {
                    pissa.put(path, BranchFactory.pissa(c, path, base, owner, 42));
                }
                NDArray a = checkpoint.load(path, LoraBranch.A_KEY, owner);
                NDArray b = checkpoint.load(path, LoraBranch.B_KEY, owner);
                NDArray m = c.useDora() ? checkpoint.load(path, DoraBranch.MAGNITUDE_KEY, owner) : null;
                return BranchFactory.branch(c, path, base, a, b, m, owner);
            });
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
    private interface BranchMaker {
        LoraBranch make(String path, Linear base, NDManager owner, Map<String, LoraBranch> pissa);
    }

    private LoraAdapter attach(String name, LoraConfig config, List<String> targets, BranchMaker maker) {
        NDManager owner = decoder.manager().newSubManager();
        Map<String, LoraBranch> pissa = new LinkedHashMap<>();
        try {
            for (String path : targets) {
                LoraLinear layer = wrap(path);
                layer.put(name, maker.make(path, layer.base(), owner, pissa));
            }
        } catch (RuntimeException e) {
            // every target: a layer may be wrapped, or its base rewritten (PiSSA), before its branch failed
            detach(name, targets, pissa, true);
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
        entry(name);
        try (OutputFolder folder = OutputFolder.open(dir, overwrite, lm.dir())) {
            writeInto(name, folder.temp());
            folder.commit();
            return List.of(folder.out().resolve(AdapterConfigJson.FILE), folder.out().resolve(AdapterCheckpoint.WEIGHTS_FILE));
        }
    }

    /**
     * Writes adapter {@code name}'s two PEFT files into {@code dir}, a folder whose commit the
     * caller owns (a training checkpoint's staging folder). Returns the two files.
     */
    public List<Path> writeInto(String name, Path dir) {
        Entry e = entry(name);
        Map<String, TensorData> tensors = new TreeMap<>();
        try (NDManager tmp = decoder.manager().newSubManager()) {
            for (String path : e.info().modules()) {
                branchOf(path, name).parameters().forEach((suffix, p) ->
                        tensors.put(AdapterCheckpoint.key(path, suffix),
                                TensorData.of(ManagedArrays.detached(tmp, p), SafetensorsDtype.F32)));
            }
            try {
                Files.createDirectories(dir);
            } catch (IOException ex) {
                throw new JloraException("cannot create " + dir + ": " + ex.getMessage(), ex);
            }
            Path weights = dir.resolve(AdapterCheckpoint.WEIGHTS_FILE);
            SafetensorsWriter.write(weights, new LinkedHashMap<>(tensors), Map.of("format", "pt"));
            AdapterConfigJson.write(dir, AdapterConfigJson.toJson(e.info().config(), e.info().modules()));
            return List.of(dir.resolve(AdapterConfigJson.FILE), weights);
        }
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
        Entry e = entry(name);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String path : e.info().modules()) {
            branchOf(path, name).parameters().forEach((suffix, p) -> out.put(AdapterCheckpoint.key(path, suffix), p));
        }
        return out;
    }

    /** The branch of adapter {@code name} on module {@code path}. */
    public LoraBranch branch(String name, String path) {
        entry(name);
        return branchOf(path, name);
    }

    // ---------------------------------------------------------------- merge, remove

    /** True when active adapters are merged into the base weights. */
    public boolean merged() {
        return loraLayers().stream().anyMatch(l -> !l.mergedNames().isEmpty());
    }

    /**
     * Merges the active adapters into the base weights in place (PEFT's merge_adapter): the forward
     * then costs what the base costs. Plain LoRA adds scale·B·A; DoRA rescales rows as PEFT does.
     */
    public void merge() {
        if (!state.enabled()) {
            throw new JloraException("adapters are disabled; close the disable() handle before merging");
        }
        for (String name : state.active()) {
            for (String path : entry(name).info().modules()) {
                checkMergeable(path);
            }
        }
        for (String name : state.active()) {
            for (String path : entry(name).info().modules()) {
                layer(path).merge(name);
            }
        }
    }

    /** Takes merged adapters back out of the base weights (exactly, up to float rounding). */
    public void unmerge() {
        for (LoraLinear l : loraLayers()) {
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
        detach(name, e.info().modules(), e.pissaInitial(), true);
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
            for (LoraLinear l : loraLayers()) {
                if (l.mergedNames().contains(name)) {
                    l.forgetMerged(name);
                }
            }
            detach(name, e.info().modules(), e.pissaInitial(), !keepResidual);
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
                    LoraBranch b = layer(path).branch(n);
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
        for (String name : state.enabled() ? state.active() : List.<String>of()) {
            for (String path : entry(name).info().modules()) {
                checkMergeable(path);
            }
        }
        Path base = lm.dir();
        ObjectNode config;
        try {
            config = (ObjectNode) new ObjectMapper().readTree(base.resolve("config.json").toFile());
        } catch (IOException | ClassCastException e) {
            throw new ModelFormatException(base.resolve("config.json"), null, "cannot read: " + e.getMessage());
        }
        try (OutputFolder folder = OutputFolder.open(out, overwrite, base);
                SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(base)) {
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            decoder.parameters().forEach((key, array) -> {
                SafetensorsDtype dtype = checkpoint.contains(key) ? checkpoint.info(key).dtype()
                        : SafetensorsDtype.of(array.getDataType());
                tensors.put(key, new LazyTensor(dtype, array.getShape().getShape(), decoder.manager(),
                        m -> mergedParameter(key, array, m)));
            });
            return HfFolderWriter.write(folder, config, base, tensors, maxShardBytes);
        }
    }

    /** The parameter with the active, not yet merged adapters applied (a new array in {@code into}), or itself. */
    private NDArray mergedParameter(String key, NDArray array, NDManager into) {
        if (!key.endsWith(".weight") || !state.enabled()) {
            return array;
        }
        Linear l = decoder.linears().get(key.substring(0, key.length() - ".weight".length()));
        if (!(l instanceof LoraLinear layer) || !layer.mergedNames().isEmpty()) {
            return array;
        }
        NDArray w = array;
        for (String name : state.active()) {
            LoraBranch b = layer.branch(name);
            if (b != null) {
                w = b.merged(w, into);
            }
        }
        return w;
    }

    // ---------------------------------------------------------------- helpers

    private LoraConfig withBase(LoraConfig config) {
        return config.baseModelNameOrPath() != null ? config
                : config.toBuilder().baseModelNameOrPath(lm.dir().toString()).build();
    }

    private Map<String, long[]> linearShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        decoder.linears().forEach((path, l) -> shapes.put(path, new long[] {l.outFeatures(), l.inFeatures()}));
        return shapes;
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

    private void checkMergeable(String path) {
        if (path.equals(TargetMatcher.HEAD) && lm.config().tieWordEmbeddings()) {
            throw new JloraException("lm_head shares its weight with the embedding (tie_word_embeddings); "
                    + "merging into it would change the embedding too");
        }
        if (!(layer(path).base() instanceof io.jlora.model.DenseLinear)) {
            throw new JloraException(path + ": merging needs a dense base layer, this one is "
                    + layer(path).base().getClass().getSimpleName() + "; merge the files instead (MergeTool)");
        }
    }

    private Entry entry(String name) {
        Entry e = adapters.get(name);
        if (e == null) {
            throw new JloraException("no adapter named '" + name + "'; adapters: " + names());
        }
        return e;
    }

    private LoraBranch branchOf(String path, String name) {
        LoraBranch b = layer(path).branch(name);
        if (b == null) {
            throw new IllegalStateException(path + " has no branch of adapter " + name);
        }
        return b;
    }

    private LoraLinear layer(String path) {
        Linear l = decoder.linear(path);
        if (!(l instanceof LoraLinear lora)) {
            throw new IllegalStateException(path + " is not adapted");
        }
        return lora;
    }

    /** The adapted layer at {@code path}, wrapping the base linear on first use. */
    private LoraLinear wrap(String path) {
        Linear current = decoder.linear(path);
        if (current instanceof LoraLinear lora) {
            return lora;
        }
        return (LoraLinear) decoder.replaceLinear(path, base -> new LoraLinear(base, state, this));
    }

    /**
     * Takes adapter {@code name} off {@code paths}; with {@code restore}, PiSSA residuals become the
     * original weights again. Layers left without adapters get their base linear back.
     */
    private void detach(String name, List<String> paths, Map<String, LoraBranch> pissa, boolean restore) {
        for (String path : paths) {
            Linear l = decoder.linear(path);
            if (!(l instanceof LoraLinear layer)) {
                continue;
            }
            layer.remove(name);
            LoraBranch initial = pissa.get(path);
            if (initial != null && restore) {
                initial.mergeInto(layer.base().weight());
            }
            if (layer.branches().isEmpty()) {
                decoder.replaceLinear(path, current -> layer.base());
            }
        }
    }

    private List<LoraLinear> loraLayers() {
        List<LoraLinear> out = new ArrayList<>();
        for (Linear l : decoder.linears().values()) {
            if (l instanceof LoraLinear lora) {
                out.add(lora);
            }
        }
        return Collections.unmodifiableList(out);
    }
}
