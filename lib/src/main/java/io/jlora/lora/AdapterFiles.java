package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.JloraException;
import io.jlora.io.SafetensorsDtype;
import io.jlora.io.SafetensorsWriter;
import io.jlora.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One adapter's PEFT files, after PEFT's {@code utils/save_and_load.py}: its state dict (the live
 * arrays under PEFT's keys, the adapter name stripped: {@code get_peft_model_state_dict}), writing
 * it with adapter_config.json ({@code save_pretrained}), and making the branches of a saved adapter
 * from an opened {@link AdapterCheckpoint} ({@code load_adapter} / {@code set_peft_model_state_dict}).
 */
final class AdapterFiles {

    private AdapterFiles() {}

    /** The trainable arrays of {@code adapter} (A, B and DoRA magnitudes) by PEFT key, the live parameters. */
    static Map<String, NDArray> stateDict(LoraAdapter adapter, AdaptedLayers layers) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String path : adapter.modules()) {
            layers.branch(path, adapter.name()).parameters()
                    .forEach((suffix, p) -> out.put(AdapterCheckpoint.key(path, suffix), p));
        }
        return out;
    }

    /**
     * Saves {@code adapter} as a PEFT folder through an {@link OutputFolder} (replaced whole: a crash
     * leaves the old complete folder or the new one), refusing {@code baseDir}; returns the two files.
     */
    static List<Path> save(LoraAdapter adapter, AdaptedLayers layers, Path dir, boolean overwrite, Path baseDir,
            NDManager scratch) {
        try (OutputFolder folder = OutputFolder.open(dir, overwrite, baseDir)) {
            write(adapter, layers, folder.temp(), scratch);
            folder.commit();
            return List.of(folder.out().resolve(AdapterConfigJson.FILE), folder.out().resolve(AdapterCheckpoint.WEIGHTS_FILE));
        }
    }

    /** Writes the two PEFT files into {@code dir}, a folder whose commit the caller owns; returns them. */
    static List<Path> write(LoraAdapter adapter, AdaptedLayers layers, Path dir, NDManager scratch) {
        Map<String, TensorData> tensors = new TreeMap<>();
        try (NDManager tmp = scratch.newSubManager()) {
            stateDict(adapter, layers).forEach((key, p) ->
                    tensors.put(key, TensorData.of(ManagedArrays.detached(tmp, p), SafetensorsDtype.F32)));
            try {
                Files.createDirectories(dir);
            } catch (IOException ex) {
                throw new JloraException("cannot create " + dir + ": " + ex.getMessage(), ex);
            }
            Path weights = dir.resolve(AdapterCheckpoint.WEIGHTS_FILE);
            SafetensorsWriter.write(weights, new LinkedHashMap<>(tensors), Map.of("format", "pt"));
            AdapterConfigJson.write(dir, AdapterConfigJson.toJson(adapter.config(), adapter.modules()));
            return List.of(dir.resolve(AdapterConfigJson.FILE), weights);
        }
    }

    /**
     * Makes each module's branch from {@code checkpoint}'s saved A, B (and DoRA magnitude); a PiSSA
     * adapter first recomputes its residual base from the model's weight, as PEFT does.
     */
    static Adapters.BranchMaker branches(AdapterCheckpoint checkpoint) {
        LoraConfig c = checkpoint.config();
        return (path, base, owner, pissa) -> {
            if (c.init() == LoraInit.PISSA) {
                pissa.put(path, BranchFactory.pissa(c, path, base, owner, LoraConfig.DEFAULT_SEED));
            }
            NDArray a = checkpoint.load(path, LoraBranch.A_KEY, owner);
            NDArray b = checkpoint.load(path, LoraBranch.B_KEY, owner);
            NDArray m = c.useDora() ? checkpoint.load(path, DoraBranch.MAGNITUDE_KEY, owner) : null;
            return BranchFactory.branch(c, path, base, a, b, m, owner);
        };
    }
}
