package io.jlora.hub;

import io.jlora.lora.MergeOptions;
import io.jlora.lora.MergeResult;
import io.jlora.lora.MergeTool;
import java.nio.file.Path;
import java.util.List;

/**
 * The merge tool's {@code --push-to-hub}: merges adapter into base with the streaming
 * {@link MergeTool} into a temporary folder, pushes that folder in one commit, and deletes it
 * whether the push worked or not. With an output folder of the user's, it pushes that instead and
 * keeps it.
 */
public final class MergeToHub {

    private final HubClient client;
    private final Path scratch;

    /** Temporary folders go under {@code java.io.tmpdir}. */
    public MergeToHub(HubClient client) {
        this(client, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** Temporary folders go under {@code scratch} (a disk with room for the merged model). */
    public MergeToHub(HubClient client, Path scratch) {
        this.client = client;
        this.scratch = scratch;
    }

    /**
     * What a merge and push did.
     *
     * @param push what was committed, and where
     * @param notes the merge's notes (e.g. that the vocabulary was padded)
     * @param seconds wall time, merge and upload together
     */
    public record Result(PushResult push, List<String> notes, double seconds) {

        public Result {
            notes = List.copyOf(notes);
        }
    }

    /** Merges into a temporary folder, pushes it to {@code repo}, deletes it. */
    public Result mergeAndPush(Path base, Path adapter, RepoId repo, MergeOptions options) {
        long start = System.nanoTime();
        try (TempFolder temp = TempFolder.create(scratch, "jlora-merge-")) {
            // a folder that does not exist yet: the merge tool creates it whole or not at all
            MergeResult merged = MergeTool.merge(base, adapter, temp.path().resolve("merged"), options.withOverwrite(false));
            PushResult push = push(merged, base, adapter, repo);
            return new Result(push, merged.notes(), (System.nanoTime() - start) / 1e9);
        }
    }

    /** Pushes a merge's output folder, which stays where it is. */
    public PushResult push(MergeResult merged, Path base, Path adapter, RepoId repo) {
        // names, not full paths: a public repo's history should not show the user's folders
        String summary = "Merge adapter " + name(adapter) + " into " + name(base);
        String description = "Merged with jlora's merge tool: the LoRA adapter's update is added into the base "
                + "weights, so the model loads without PEFT.";
        return client.push(repo, merged.output(), merged.files(), summary, description);
    }

    private static String name(Path p) {
        Path n = p.toAbsolutePath().normalize().getFileName();
        return n == null ? p.toString() : n.toString();
    }
}
