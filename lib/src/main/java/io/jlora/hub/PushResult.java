package io.jlora.hub;

import java.util.List;

/**
 * What a push did.
 *
 * @param repo the repository
 * @param url the repository's page
 * @param files the paths committed, as in the repo
 * @param commitUrl the commit's page when the Hub said it, else null
 */
public record PushResult(RepoId repo, String url, List<String> files, String commitUrl) {

    public PushResult {
        files = List.copyOf(files);
    }
}
