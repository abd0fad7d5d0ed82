package io.jlora.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.FolderManifest;
import io.jlora.io.ModelFormatException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.io.TensorInfo;
import io.jlora.model.DenseLinear;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The merge tool: base model folder + PEFT adapter folder to a merged Hugging Face folder, tensor by
 * tensor. Each targeted weight is read, merged and written before the next is read, so memory
 * holds the adapter plus one tensor and its temporaries, never the model; the other tensors are
 * copied byte for byte. Each weight keeps the dtype the base checkpoint stores it in (bfloat16 stays
 * bfloat16).
 *
 * <p>Everything that can be checked is checked before the first byte is written (the adapter
 * against the base's shapes, the output folder), and the output appears only when complete.
 */
public final class MergeTool {

    private static final String EMBED = "model.embed_tokens.weight";
    private static final String HEAD = TargetMatcher.HEAD + ".weight";

    private MergeTool() {}

    /** Merges with {@link MergeOptions#defaults()}. */
    public static MergeResult merge(Path base, Path adapter, Path out) {
        return merge(base, adapter, out, MergeOptions.defaults());
    }

    public static MergeResult merge(Path base, Path adapter, Path out, MergeOptions options) {
        long start = System.nanoTime();
        OutputFolder.check(out.toAbsolutePath().normalize(), options.overwrite(), base, adapter);
        // the base as load reads it: sizes against its manifest (see CausalLm.modelCheck)
        FolderManifest.verify(base, FolderManifest.Check.SIZES);
        ObjectNode config = readConfig(base);
        String modelType = config.path("model_type").asText(null);
        List<String> notes = new ArrayList<>();
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(base);
                AdapterCheckpoint lora = AdapterCheckpoint.open(adapter, modelType);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Map<String, long[]> linears = linearShapes(checkpoint);
            List<String> targets = lora.validate(linears);
            if (targets.contains(TargetMatcher.HEAD) && !checkpoint.contains(HEAD)) {
                throw new JloraException("the adapter targets lm_head, whose weight the base ties to the embedding; "
                        + "merging would change the embedding too");
            }
            Map<String, LoraBranch> branches = loadBranches(lora, targets, manager);
            long paddedVocab = paddedVocab(checkpoint, options.padToMultipleOf(), config, notes);
            Map<String, io.jlora.io.TensorData> raw = CopiedTensor.of(base, checkpoint);
            Map<String, io.jlora.io.TensorData> tensors = new LinkedHashMap<>();
            for (String key : checkpoint.keys()) {
                TensorInfo info = checkpoint.info(key);
                boolean pad = paddedVocab > 0 && (key.equals(EMBED) || key.equals(HEAD));
                long[] shape = pad ? new long[] {paddedVocab, info.shape()[1]} : info.shape();
                String module = key.endsWith(".weight") ? key.substring(0, key.length() - ".weight".length()) : null;
                LoraBranch branch = module == null ? null : branches.get(module);
                LoraConfig c = lora.config();
                if (branch == null && !pad) {
                    tensors.put(key, raw.get(key));
                    continue;
                }
                tensors.put(key, new LazyTensor(info.dtype(), shape, manager, m -> {
                    NDArray w = checkpoint.load(key, m);
                    if (branch != null) {
                        if (c.init() == LoraInit.PISSA) {
                            // PEFT recomputes a PiSSA adapter's residual base from the original weight
                            BranchFactory.pissa(c, module, new DenseLinear(module, w, null), m, LoraConfig.DEFAULT_SEED);
                        }
                        w = branch.merged(w, m);
                    }
                    return pad ? padRows(w, shape[0], m) : w;
                }));
            }
            try (OutputFolder folder = OutputFolder.open(out, options.overwrite(), base, adapter)) {
                List<Path> files = HfFolderWriter.write(folder, config, base, tensors, options.maxShardBytes());
                return new MergeResult(folder.out(), files, notes, (System.nanoTime() - start) / 1e9);
            }
        }
    }

    private static ObjectNode readConfig(Path base) {
        Path file = base.resolve("config.json");
        try {
            JsonNode node = new ObjectMapper().readTree(file.toFile());
            if (!(node instanceof ObjectNode o)) {
                throw new ModelFormatException(file, null, "not a JSON object");
            }
            return o;
        } catch (IOException e) {
            String why = file.toFile().exists() ? "not valid JSON: " + e.getMessage() : "file not found";
            throw new ModelFormatException(file, null, why, e);
        }
    }

    /** Every 2-D weight but the embedding is a linear layer in the families jlora loads. */
    static Map<String, long[]> linearShapes(SafetensorsCheckpoint checkpoint) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String key : checkpoint.keys()) {
            if (key.endsWith(".weight") && !key.equals(EMBED)) {
                long[] shape = checkpoint.info(key).shape();
                if (shape.length == 2) {
                    out.put(key.substring(0, key.length() - ".weight".length()), shape);
                }
            }
        }
        return out;
    }

    private static Map<String, LoraBranch> loadBranches(AdapterCheckpoint lora, List<String> targets, NDManager m) {
        LoraConfig c = lora.config();
        Map<String, LoraBranch> out = new LinkedHashMap<>();
        for (String path : targets) {
            NDArray a = lora.load(path, LoraBranch.A_KEY, m);
            NDArray b = lora.load(path, LoraBranch.B_KEY, m);
            out.put(path, c.useDora()
                    ? new DoraBranch(a, b, lora.load(path, DoraBranch.MAGNITUDE_KEY, m), c.scale(path), 0)
                    : new LoraBranch(a, b, c.scale(path), 0));
        }
        return out;
    }

    /** The padded vocabulary size, or 0 when nothing is padded; updates config and notes. */
    private static long paddedVocab(SafetensorsCheckpoint checkpoint, int multiple, ObjectNode config, List<String> notes) {
        if (multiple <= 1) {
            return 0;
        }
        if (!checkpoint.contains(EMBED)) {
            throw new JloraException("pad_to_multiple_of: the base has no " + EMBED);
        }
        long vocab = checkpoint.info(EMBED).shape()[0];
        long padded = (vocab + multiple - 1) / multiple * multiple;
        if (padded == vocab) {
            notes.add("vocabulary of " + vocab + " is already a multiple of " + multiple + "; nothing padded");
            return 0;
        }
        config.put("vocab_size", padded);
        notes.add("padded the vocabulary from " + vocab + " to " + padded + " rows (a multiple of " + multiple
                + ") with zeros in " + EMBED + (checkpoint.contains(HEAD) ? " and " + HEAD : "")
                + "; config.json vocab_size is now " + padded);
        return padded;
    }

    private static NDArray padRows(NDArray w, long rows, NDManager m) {
        long extra = rows - w.getShape().get(0);
        NDArray zeros = m.zeros(new Shape(extra, w.getShape().get(1)), w.getDataType());
        return NDArrays.concat(new ai.djl.ndarray.NDList(w, zeros), 0);
    }
}
