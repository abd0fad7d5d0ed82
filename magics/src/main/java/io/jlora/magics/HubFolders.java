package io.jlora.magics;

import io.jlora.hub.HubSettings;
import io.jlora.hub.ModelLocator;
import io.jlora.magics.view.DownloadView;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * The one door from a {@code --model} / {@code --adapter} value to a folder: a local path as it is,
 * else a Hub id ({@code ORG/NAME[@REV]}) from the Hugging Face cache, downloading what is missing
 * with a progress display (see {@link ModelLocator}).
 */
public final class HubFolders {
    /** Where the cache, token and offline switch come from; tests point it at their own folders. */
    static Function<String, HubSettings> settings = HubSettings::fromSystem;

    private HubFolders() {
    }

    /** The model folder {@code given} names; null stays null. {@code token} is a --token value or null. */
    public static Path model(Path given, String token) {
        return resolve(given, ModelLocator.Kind.MODEL, token);
    }

    /** The PEFT adapter folder {@code given} names; null stays null. */
    public static Path adapter(Path given, String token) {
        return resolve(given, ModelLocator.Kind.ADAPTER, token);
    }

    /** A folder holding at least the model's config.json (what an estimate reads); null stays null. */
    public static Path config(Path given, String token) {
        return resolve(given, ModelLocator.Kind.CONFIG, token);
    }

    private static Path resolve(Path given, ModelLocator.Kind kind, String token) {
        if (given == null) return null;
        return ModelLocator.resolve(given.toString(), kind,
                () -> new ModelLocator.Options(settings.apply(token), new DownloadView(), java.util.List.of()));
    }
}
