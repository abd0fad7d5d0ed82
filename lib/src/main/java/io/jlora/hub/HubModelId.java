package io.jlora.hub;

import io.jlora.JloraException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model on the Hub as a user names it: {@code ORG/NAME[@REVISION]} (a branch, a tag or a commit;
 * {@code main} by default).
 *
 * @param repo the repository, always with its owner (a bare {@code NAME} is too easily a typo of a
 *     local folder to send to the network)
 * @param revision a branch or tag name, or a 40-hex commit
 */
public record HubModelId(RepoId repo, String revision) {

    public static final String DEFAULT_REVISION = "main";

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,256}");

    public HubModelId {
        if (repo.owner() == null) {
            throw new JloraException("the Hub id '" + repo + "' needs its owner: ORG/NAME");
        }
        if (!REVISION.matcher(revision).matches() || revision.contains("..") || revision.startsWith("/")
                || revision.endsWith("/")) {
            throw new JloraException("the revision '" + revision + "' of " + repo + " is not a branch, tag or commit");
        }
    }

    /** {@code text} as a Hub id when it has the form ORG/NAME[@REVISION], else empty. */
    public static Optional<HubModelId> parse(String text) {
        int at = text.indexOf('@');
        String repo = at < 0 ? text : text.substring(0, at);
        String revision = at < 0 ? DEFAULT_REVISION : text.substring(at + 1);
        String[] parts = repo.split("/", -1);
        if (parts.length != 2) {
            return Optional.empty();
        }
        try {
            return Optional.of(new HubModelId(new RepoId(parts[0], parts[1]), revision));
        } catch (JloraException notAnId) {
            return Optional.empty();
        }
    }

    /** Whether the revision is a commit hash, which needs no ref to resolve. */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    @Override
    public String toString() {
        return DEFAULT_REVISION.equals(revision) ? repo.toString() : repo + "@" + revision;
    }
}
