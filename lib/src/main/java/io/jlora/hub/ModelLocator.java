package io.jlora.hub;

import io.jlora.io.FolderCommit;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns what a user typed for a model or adapter into a folder: a path that exists locally wins;
 * otherwise {@code ORG/NAME[@REVISION]} is a Hub id, found in the Hugging Face cache (a snapshot
 * with every file the load needs) or, when online, completed there by downloading only the missing
 * files, in the layout huggingface_hub writes. Anything else is returned as given, for the loader
 * to report as a missing folder.
 */
public final class ModelLocator {

    /** What the folder must hold (see {@link ModelFiles}): a loadable model, a PEFT adapter, or only a model's config.json. */
    public enum Kind { MODEL, ADAPTER, CONFIG }

    /**
     * @param settings cache, offline mode, endpoint and token
     * @param listener told of download progress
     * @param extraFiles glob patterns of further repo files to fetch (e.g. {@code *.bin}, never by default)
     */
    public record Options(HubSettings settings, DownloadListener listener, List<String> extraFiles) {

        /** This process's environment, a {@code --token} value (or null), no progress shown. */
        public static Options fromSystem(String token) {
            return new Options(HubSettings.fromSystem(token), DownloadListener.NONE, List.of());
        }

        public Options withListener(DownloadListener value) {
            return new Options(settings, value, extraFiles);
        }

        public Options withExtraFiles(List<String> globs) {
            return new Options(settings, listener, List.copyOf(globs));
        }
    }

    private ModelLocator() {
    }

    /** The folder {@code pathOrId} names; see the class comment. */
    public static Path resolve(String pathOrId, Kind kind, Options options) {
        return resolve(pathOrId, kind, () -> options);
    }

    /**
     * As {@link #resolve(String, Kind, Options)}, reading the options only for a Hub id, so that a
     * bad {@code HF_TOKEN} or {@code HF_ENDPOINT} never stops a local folder from loading.
     */
    public static Path resolve(String pathOrId, Kind kind, Supplier<Options> options) {
        Path local = Path.of(pathOrId);
        if (Files.exists(FolderCommit.readable(local))) {
            return local;
        }
        Optional<HubModelId> id = HubModelId.parse(pathOrId);
        if (id.isEmpty()) {
            return local;
        }
        try {
            return resolve(id.get(), kind, options.get());
        } catch (HubDownloadException e) {
            if (!e.getMessage().startsWith(id.get() + ": the file list: ")) {
                throw e;
            }
            // the repo itself is not there or not reachable, and a mistyped local folder looks like a Hub id: say both
            throw new HubDownloadException(e.reason(), "'" + pathOrId + "' is no local folder, and " + e.getMessage(), e);
        }
    }

    /** The snapshot folder of {@code id} in the cache, downloading what it lacks unless offline. */
    public static Path resolve(HubModelId id, Kind kind, Options options) {
        HubSettings settings = options.settings();
        HubCache cache = new HubCache(settings.cache());
        Optional<String> cached = cache.commit(id);
        if (cached.isPresent()) {
            Path snapshot = cache.snapshot(id.repo(), cached.get());
            Optional<String> missing = ModelFiles.missing(snapshot, kind);
            boolean complete = !ModelFiles.lacksOptional(snapshot, kind) && options.extraFiles().isEmpty();
            if (missing.isEmpty() && (settings.offline() || complete)) {
                return snapshot;
            }
            if (settings.offline()) {
                throw new HubDownloadException(HubDownloadException.Reason.NOT_CACHED, id + ": " + missing.get()
                        + " is missing from the cached snapshot " + snapshot + brokenLink(snapshot.resolve(missing.get()))
                        + "; HF_HUB_OFFLINE (or -Djlora.offline) forbids downloading it");
            }
        } else if (settings.offline()) {
            throw new HubDownloadException(HubDownloadException.Reason.NOT_CACHED, "'" + id + "' is no local folder and "
                    + cache.repoDir(id.repo()) + (Files.isDirectory(cache.repoDir(id.repo())) ? " has no revision "
                    + id.revision() : " does not exist") + "; HF_HUB_OFFLINE (or -Djlora.offline) forbids downloading it");
        }
        return download(id, kind, options, cache);
    }

    private static Path download(HubModelId id, Kind kind, Options options, HubCache cache) {
        HubSettings settings = options.settings();
        HubDownload hub = new HubDownload(new HubHttp(HubHttp.defaultClient(), settings.endpoint(), settings.token()), cache);
        HubDownload.Listing listing = hub.listing(id);
        String commit = listing.commit();
        Path snapshot = cache.snapshot(id.repo(), commit);
        List<String> files = ModelFiles.select(id, listing.files(), kind, options.extraFiles());
        if (files.contains(ModelFiles.INDEX)) {
            // the shards are known only once the index is here
            fetchAll(hub, cache, id, commit, List.of(ModelFiles.INDEX), options.listener());
            for (String shard : ModelFiles.shards(snapshot.resolve(ModelFiles.INDEX))) {
                if (!listing.files().contains(shard)) {
                    throw new HubDownloadException(HubDownloadException.Reason.NOT_FOUND, id + ": "
                            + ModelFiles.INDEX + " names " + shard + ", which the repo does not have");
                }
                if (!files.contains(shard)) {
                    files.add(shard);
                }
            }
        }
        fetchAll(hub, cache, id, commit, files, options.listener());
        cache.writeRef(id, commit);
        return snapshot;
    }

    /** Downloads those of {@code files} the snapshot lacks, telling {@code listener} how it goes. */
    private static void fetchAll(HubDownload hub, HubCache cache, HubModelId id, String commit, List<String> files,
            DownloadListener listener) {
        Path snapshot = cache.snapshot(id.repo(), commit);
        List<HubDownload.FileMeta> todo = new ArrayList<>();
        for (String file : files) {
            if (!Files.exists(snapshot.resolve(file))) {
                todo.add(hub.head(id, commit, file));
            }
        }
        Progress progress = new Progress(id, todo, listener);
        for (HubDownload.FileMeta meta : todo) {
            progress.next(meta.file());
            if (!Files.exists(cache.blob(id.repo(), meta.etag()))) {
                try (FileChannel lock = lock(cache.lock(id.repo(), meta.etag()), id, meta.file())) {
                    if (!Files.exists(cache.blob(id.repo(), meta.etag()))) {
                        hub.fetch(id, meta, progress::add);
                    } else {
                        progress.add(meta.size());
                    }
                } catch (IOException e) {
                    throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + meta.file()
                            + ": cannot lock the cache (" + e.getMessage() + ")", e);
                }
            } else {
                progress.add(meta.size());
            }
            cache.link(id.repo(), commit, meta.file(), meta.etag());
        }
        progress.finish();
    }

    /**
     * Locks the blob's lock file (where huggingface_hub keeps its own), so that two jlora processes
     * never write one blob at once; closing the channel releases the lock.
     */
    private static FileChannel lock(Path file, HubModelId id, String name) throws IOException {
        Files.createDirectories(file.getParent());
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            channel.lock();
            return channel;
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new HubDownloadException(HubDownloadException.Reason.NETWORK, id + ": " + name
                    + " is being downloaded by another thread of this process; try again when it is done");
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static String brokenLink(Path file) {
        if (!Files.isSymbolicLink(file)) {
            return "";
        }
        try {
            return " (a broken link to " + Files.readSymbolicLink(file) + ")";
        } catch (IOException e) {
            return " (a broken link)";
        }
    }

    /** Counts bytes over the files of one download and tells the listener at most ten times a second. */
    private static final class Progress {
        private final String repo;
        private final int files;
        /** Bytes of all the files to fetch. */
        private final long total;
        private final DownloadListener listener;
        private int index;
        private String file = "";
        private long bytes;
        private long lastTold;

        /** Progress over fetching {@code todo}, the files of {@code id} that the snapshot lacks. */
        Progress(HubModelId id, List<HubDownload.FileMeta> todo, DownloadListener listener) {
            this.repo = id.toString();
            this.files = todo.size();
            this.total = todo.stream().mapToLong(HubDownload.FileMeta::size).sum();
            this.listener = listener;
        }

        void next(String name) {
            index++;
            file = name;
            tell(true);
        }

        void add(long n) {
            bytes += n;
            tell(false);
        }

        void finish() {
            if (files > 0) {
                listener.onProgress(new DownloadProgress(repo, file, index, files, bytes, total, true));
            }
        }

        private void tell(boolean always) {
            long now = System.nanoTime();
            if (always || now - lastTold > 100_000_000L) {
                lastTold = now;
                listener.onProgress(new DownloadProgress(repo, file, index, files, bytes, total, false));
            }
        }
    }
}
