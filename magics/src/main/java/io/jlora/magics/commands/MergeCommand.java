package io.jlora.magics.commands;

import io.jlora.JloraException;
import io.jlora.hub.HubClient;
import io.jlora.hub.MergeToHub;
import io.jlora.hub.PushResult;
import io.jlora.hub.RepoId;
import io.jlora.lora.MergeOptions;
import io.jlora.lora.MergeResult;
import io.jlora.lora.MergeTool;
import io.jlora.magics.CommandResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seed product's merge tool: {@code merge --base-model-path DIR --adapter-path DIR
 * (--output-folder DIR | --push-to-hub REPO) [--token T] [--pad-to-multiple-of N]}. Streams tensor by
 * tensor, so the whole model is never in memory. With {@code --push-to-hub} alone the merged folder is
 * temporary; with both outputs the folder is kept and pushed.
 */
@Command(name = "merge", description = "Merges a PEFT adapter into its base model and writes a Hugging Face folder, or pushes it to the Hub.",
        footer = {"%nExamples:%n  merge --base-model-path models/tiny --adapter-path out --output-folder merged",
                "  merge --base-model-path models/tiny --adapter-path out --push-to-hub me/tiny-merged"})
public final class MergeCommand extends LoraCommand {
    @Option(names = "--base-model-path", required = true, paramLabel = "DIR", description = "the base model folder the adapter was trained on")
    Path base;

    @Option(names = "--adapter-path", required = true, paramLabel = "DIR", description = "the PEFT adapter folder (adapter_config.json, adapter_model.safetensors)")
    Path adapter;

    @Option(names = "--output-folder", paramLabel = "DIR", description = "where the merged model goes (written under a temporary name, then renamed)")
    Path output;

    @Option(names = "--push-to-hub", paramLabel = "REPO", arity = "0..1", fallbackValue = "",
            description = "upload to the Hugging Face Hub repo REPO (owner/name); HF_ENDPOINT overrides the Hub's address")
    String pushToHub;

    @Option(names = "--token", paramLabel = "T", description = "Hugging Face token for --push-to-hub and Hub ids, else HF_TOKEN (never printed)")
    String token;

    @Option(names = "--pad-to-multiple-of", defaultValue = "0", paramLabel = "N", description = "pad the vocabulary rows of the embeddings and head to a multiple of N")
    int padToMultipleOf;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", description = "replace a non-empty output folder", paramLabel = "BOOL")
    boolean overwrite;

    @Override
    public CommandResult execute() {
        if (output == null && pushToHub == null) {
            throw new CommandRunner.UsageException("merge needs --output-folder DIR or --push-to-hub (neither was given)");
        }
        if (padToMultipleOf < 0) throw new CommandRunner.UsageException("--pad-to-multiple-of must be 0 or more, not " + padToMultipleOf);
        base = io.jlora.magics.HubFolders.model(base, token);
        adapter = io.jlora.magics.HubFolders.adapter(adapter, token);
        MergeOptions options = MergeOptions.defaults().withOverwrite(overwrite).withPadToMultipleOf(padToMultipleOf);
        if (pushToHub == null) {
            MergeResult result = MergeTool.merge(base, adapter, output, options);
            return new FilesResult("merged " + adapter + " into " + base, result.output(), result.files(), result.notes(), result.seconds());
        }
        // repo id, token and endpoint are checked before the merge, which may take long
        if (pushToHub.isBlank()) throw new CommandRunner.UsageException("--push-to-hub needs a repo id, like user/my-merged-model");
        RepoId repo;
        HubClient client;
        try {
            repo = RepoId.parse(pushToHub);
            client = HubClient.fromEnvironment(token);
        } catch (JloraException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
        String what = "merged " + adapter + " into " + base + " and pushed it to " + client.repoUrl(repo);
        if (output == null) {
            MergeToHub.Result r = new MergeToHub(client).mergeAndPush(base, adapter, repo, options);
            return new HubResult(what, r.push(), null, r.push().files(), r.notes(), r.seconds());
        }
        long start = System.nanoTime();
        MergeResult merged = MergeTool.merge(base, adapter, output, options);
        PushResult push = new MergeToHub(client).push(merged, base, adapter, repo);
        List<String> files = merged.files().stream().map(Path::toString).toList();
        return new HubResult(what, push, merged.output(), files, merged.notes(), FilesResult.since(start));
    }

    /**
     * What a merge with {@code --push-to-hub} reports: {"output": the repo's URL (or the kept
     * folder when there is one), "files": [...], "seconds": s, "hub": the repo's URL}, plus notes.
     */
    record HubResult(String what, PushResult push, Path folder, List<String> files, List<String> notes, double seconds)
            implements CommandResult {
        @Override
        public String text() {
            StringBuilder t = new StringBuilder(String.format("%s (%d files, %.2f s)", what, files.size(), seconds));
            for (String f : push.files()) t.append("\n  ").append(f);
            if (folder != null) t.append("\nkept the merged folder: ").append(folder);
            if (push.commitUrl() != null) t.append("\ncommit: ").append(push.commitUrl());
            for (String note : notes) t.append("\nnote: ").append(note);
            return t.toString();
        }

        @Override
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("output", folder == null ? push.url() : folder.toString());
            j.put("files", files);
            j.put("seconds", seconds);
            j.put("hub", push.url());
            if (push.commitUrl() != null) j.put("commit", push.commitUrl());
            if (!notes.isEmpty()) j.put("notes", notes);
            return j;
        }
    }
}
