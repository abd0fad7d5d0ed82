package io.jlora.hub;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a Hub download reads from the environment, as huggingface_hub reads it, gathered once so
 * that tests pass their own (a temporary cache, a loopback endpoint) and never see the user's.
 *
 * @param cache the Hub cache: {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else
 *     {@code XDG_CACHE_HOME/huggingface/hub}, else {@code HOME/.cache/huggingface/hub}
 * @param offline {@code HF_HUB_OFFLINE} (1, true, yes, on) or {@code -Djlora.offline=true}: the
 *     network is never touched
 * @param endpoint {@code HF_ENDPOINT}, else the public Hub
 * @param token see {@link HubToken#forDownload}
 */
public record HubSettings(Path cache, boolean offline, HubEndpoint endpoint, HubToken token) {

    /** The system property that forbids the network as {@code HF_HUB_OFFLINE=1} does. */
    public static final String OFFLINE_PROPERTY = "jlora.offline";

    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    /** This process's settings; {@code token} is a {@code --token} value or null. */
    public static HubSettings fromSystem(String token) {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")), token);
    }

    /** The settings {@code env} and {@code home} give; {@code token} is a {@code --token} value or null. */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home, String token) {
        String cache = first(env, "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE");
        boolean offline = TRUE.contains(String.valueOf(env.get("HF_HUB_OFFLINE")).strip().toUpperCase(Locale.ROOT))
                || Boolean.getBoolean(OFFLINE_PROPERTY);
        return new HubSettings(cache != null ? Path.of(cache) : hfHome(env, home).resolve("hub"), offline,
                HubEndpoint.fromEnvironment(env), HubToken.forDownload(token, env, home));
    }

    /** huggingface_hub's home folder: {@code HF_HOME}, else {@code XDG_CACHE_HOME/huggingface}, else ~/.cache/huggingface. */
    static Path hfHome(Map<String, String> env, Path home) {
        String hfHome = first(env, "HF_HOME");
        if (hfHome != null) {
            return Path.of(hfHome);
        }
        String xdg = first(env, "XDG_CACHE_HOME");
        return (xdg != null ? Path.of(xdg) : home.resolve(".cache")).resolve("huggingface");
    }

    private static String first(Map<String, String> env, String... names) {
        for (String name : names) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    public HubSettings withOffline(boolean value) {
        return new HubSettings(cache, value, endpoint, token);
    }
}
