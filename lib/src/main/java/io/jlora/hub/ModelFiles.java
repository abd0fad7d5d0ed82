package io.jlora.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.JloraException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which files of a repo a load needs: for a model config.json and its safetensors weights (one
 * file, or the index and the shards it names), with the generation config, tokenizer and chat
 * template when the repo has them; for an adapter PEFT's two files. Never {@code *.bin} or
 * {@code *.pth} weights unless a caller asks for them by pattern.
 */
final class ModelFiles {

    static final String CONFIG = "config.json";
    static final String WEIGHTS = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String ADAPTER_CONFIG = "adapter_config.json";
    static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
    /** Files a model load reads when they are there. */
    static final List<String> MODEL_EXTRAS = List.of("generation_config.json", TOKENIZER, "tokenizer_config.json",
            "special_tokens_map.json", "chat_template.jinja", "chat_template.json");

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFiles() {
    }

    /**
     * The first file that a load cannot do without and {@code snapshot} lacks (or holds as a
     * broken link), or empty when the snapshot can be loaded.
     */
    static Optional<String> missing(Path snapshot, ModelLocator.Kind kind) {
        if (kind == ModelLocator.Kind.ADAPTER) {
            return absent(snapshot, List.of(ADAPTER_CONFIG, ADAPTER_WEIGHTS));
        }
        Optional<String> config = absent(snapshot, List.of(CONFIG));
        if (config.isPresent() || kind == ModelLocator.Kind.CONFIG) {
            return config;
        }
        if (Files.exists(snapshot.resolve(INDEX))) {
            return absent(snapshot, shards(snapshot.resolve(INDEX)));
        }
        return absent(snapshot, List.of(WEIGHTS));
    }

    /** Whether a model snapshot lacks a file it would load if there (the tokenizer), which only the repo's listing can say. */
    static boolean lacksOptional(Path snapshot, ModelLocator.Kind kind) {
        return kind == ModelLocator.Kind.MODEL && !Files.exists(snapshot.resolve(TOKENIZER));
    }

    /**
     * What to download of a repo whose files are {@code siblings}: the index, not yet its shards
     * (the caller reads them from the index with {@link #shards}).
     */
    static List<String> select(HubModelId id, List<String> siblings, ModelLocator.Kind kind, List<String> extraGlobs) {
        Set<String> chosen = new LinkedHashSet<>();
        if (kind == ModelLocator.Kind.ADAPTER) {
            for (String f : List.of(ADAPTER_CONFIG, ADAPTER_WEIGHTS)) {
                if (!siblings.contains(f)) {
                    throw new HubDownloadException(HubDownloadException.Reason.NOT_FOUND, id + ": the repo has no " + f
                            + (f.equals(ADAPTER_WEIGHTS) && siblings.contains("adapter_model.bin")
                            ? " (only adapter_model.bin; jlora reads safetensors)" : " (is it a PEFT adapter?)"));
                }
                chosen.add(f);
            }
        } else {
            if (!siblings.contains(CONFIG)) {
                throw new HubDownloadException(HubDownloadException.Reason.NOT_FOUND, id + ": the repo has no config.json (is it a model?)");
            }
            chosen.add(CONFIG);
            if (kind == ModelLocator.Kind.CONFIG) {
                return new ArrayList<>(chosen);
            }
            if (siblings.contains(INDEX)) {
                chosen.add(INDEX);
            } else if (siblings.contains(WEIGHTS)) {
                chosen.add(WEIGHTS);
            } else {
                throw new HubDownloadException(HubDownloadException.Reason.NOT_FOUND, id + ": the repo has neither " + WEIGHTS
                        + " nor " + INDEX + " (jlora reads safetensors weights)");
            }
            MODEL_EXTRAS.stream().filter(siblings::contains).forEach(chosen::add);
        }
        for (String glob : extraGlobs) {
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            siblings.stream().filter(f -> m.matches(Path.of(f))).forEach(chosen::add);
        }
        return new ArrayList<>(chosen);
    }

    /** The shard files an index's weight_map names, in order. */
    static List<String> shards(Path index) {
        try {
            JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
            Set<String> files = new TreeSet<>();
            for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
                files.add(it.next().asText());
            }
            if (files.isEmpty()) {
                throw new JloraException(index + ": weight_map is missing or empty");
            }
            return new ArrayList<>(files);
        } catch (IOException e) {
            throw new JloraException(index + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    private static Optional<String> absent(Path snapshot, List<String> files) {
        return files.stream().filter(f -> !Files.exists(snapshot.resolve(f))).findFirst();
    }
}
