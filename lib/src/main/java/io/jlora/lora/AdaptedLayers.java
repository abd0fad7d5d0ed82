package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import io.jlora.JloraException;
import io.jlora.model.Decoder;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder slots of one model as {@link Adapters} sees them: wraps a base linear in a
 * {@link LoraLinear} on first use and puts it back when its last adapter goes, finds the branch of
 * an adapter on a module, and holds the one check that a base layer is dense (merging and PiSSA
 * rewrite its weight in place).
 */
final class AdaptedLayers {

    private final Decoder decoder;
    private final AdapterSwitch state;

    AdaptedLayers(Decoder decoder, AdapterSwitch state) {
        this.decoder = decoder;
        this.state = state;
    }

    /**
     * The base weight of {@code base}, which must be dense (not quantized) because {@code why}
     * rewrites it in place; the error ends with {@code instead}.
     */
    static NDArray denseWeight(Linear base, String path, String why, String instead) {
        if (!(base instanceof DenseLinear)) {
            throw new JloraException(path + ": " + why + " needs a dense base layer, this one is "
                    + base.getClass().getSimpleName() + instead);
        }
        return base.weight();
    }

    /**
     * Throws unless every layer of {@code paths} can take a merge: no head tied to the embedding and,
     * when {@code inMemory}, a dense base (a merge into the base's files takes any).
     */
    void checkMergeable(List<String> paths, boolean tiedHead, boolean inMemory) {
        for (String path : paths) {
            if (path.equals(TargetMatcher.HEAD) && tiedHead) {
                throw new JloraException("lm_head shares its weight with the embedding (tie_word_embeddings); "
                        + "merging into it would change the embedding too");
            }
            if (inMemory) {
                denseWeight(layer(path).base(), path, "merging", LoraLinear.MERGE_FILES);
            }
        }
    }

    /** True when every layer of {@code paths} has a dense base (none quantized). */
    boolean denseBases(List<String> paths) {
        return paths.stream().allMatch(path -> layer(path).base() instanceof DenseLinear);
    }

    /**
     * The parameters as they would be with adapters {@code names} merged: a weight of a layer that
     * has none of them merged yet gets their updates (a new array), anything else is itself.
     */
    ModelWriter.ParameterView merged(List<String> names) {
        return (key, array, into) -> {
            Linear l = key.endsWith(".weight") ? decoder.linears().get(key.substring(0, key.length() - ".weight".length())) : null;
            if (!(l instanceof LoraLinear layer) || !layer.mergedNames().isEmpty()) {
                return array;
            }
            NDArray w = array;
            for (String name : names) {
                LoraBranch b = layer.branch(name);
                if (b != null) {
                    w = b.merged(w, into);
                }
            }
            return w;
        };
    }

    /** The adapted layer at {@code path}; throws when it has no adapter. */
    LoraLinear layer(String path) {
        Linear l = decoder.linear(path);
        if (!(l instanceof LoraLinear lora)) {
            throw new IllegalStateException(path + " is not adapted");
        }
        return lora;
    }

    /** The adapted layer at {@code path}, wrapping the base linear on first use. */
    LoraLinear wrap(String path) {
        Linear current = decoder.linear(path);
        if (current instanceof LoraLinear lora) {
            return lora;
        }
        return (LoraLinear) decoder.replaceLinear(path, base -> new LoraLinear(base, state));
    }

    /** The branch of adapter {@code name} on module {@code path}; throws when there is none. */
    LoraBranch branch(String path, String name) {
        LoraBranch b = layer(path).branch(name);
        if (b == null) {
            throw new IllegalStateException(path + " has no branch of adapter " + name);
        }
        return b;
    }

    /** Every adapted layer, in the decoder's order. */
    List<LoraLinear> all() {
        List<LoraLinear> out = new ArrayList<>();
        for (Linear l : decoder.linears().values()) {
            if (l instanceof LoraLinear lora) {
                out.add(lora);
            }
        }
        return out;
    }

    /** [out, in] of every linear layer by module path. */
    Map<String, long[]> shapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        decoder.linears().forEach((path, l) -> shapes.put(path, new long[] {l.outFeatures(), l.inFeatures()}));
        return shapes;
    }

    /**
     * Takes adapter {@code name} off {@code paths}; with {@code restore}, PiSSA residuals become the
     * original weights again. Layers left without adapters get their base linear back.
     */
    void detach(String name, List<String> paths, Map<String, LoraBranch> pissa, boolean restore) {
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
}
