package io.jlora.hub;

import io.jlora.JloraException;
import java.util.regex.Pattern;

/**
 * A Hub model repository id, {@code owner/name} or just {@code name} (the token's own namespace).
 * Parts are checked against the Hub's naming rule here, so that they can go into URL paths as they
 * are and a typo fails before a long merge rather than after it.
 *
 * @param owner the user or organization, or null for the token's own namespace
 * @param name the repository name
 */
public record RepoId(String owner, String name) {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    public RepoId {
        if (owner != null) {
            check(owner, "owner");
        }
        check(name, "name");
    }

    /** Parses {@code owner/name} or {@code name}. */
    public static RepoId parse(String id) {
        if (id == null || id.isBlank()) {
            throw new JloraException("a Hub repo id is required, like user/my-model");
        }
        String[] parts = id.split("/", -1);
        return switch (parts.length) {
            case 1 -> new RepoId(null, parts[0]);
            case 2 -> new RepoId(parts[0], parts[1]);
            default -> throw new JloraException("'" + id + "' is not a Hub repo id: use owner/name or name");
        };
    }

    private static void check(String part, String what) {
        if (part == null || !PART.matcher(part).matches() || part.contains("--") || part.contains("..")
                || part.endsWith(".git") || part.endsWith(".") || part.endsWith("-")) {
            throw new JloraException("the Hub repo " + what + " '" + part + "' is not valid: use letters, digits, "
                    + "'-', '_' and '.', at most 96 characters, not starting or ending with '-' or '.'");
        }
    }

    @Override
    public String toString() {
        return owner == null ? name : owner + "/" + name;
    }
}
