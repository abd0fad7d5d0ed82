package io.jlora.hub;

import java.nio.file.Path;
import java.util.List;

/** A separate JVM that downloads a model, for the test that kills it halfway: args are endpoint, cache, id. */
public final class HubDownloadChild {
    private HubDownloadChild() {
    }

    public static void main(String[] args) {
        HubSettings settings = new HubSettings(Path.of(args[1]), false, HubEndpoint.of(args[0]), HubToken.anonymous());
        ModelLocator.resolve(args[2], ModelLocator.Kind.MODEL, new ModelLocator.Options(settings, DownloadListener.NONE, List.of()));
    }
}
