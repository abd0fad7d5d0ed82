package io.jlora.hub;

/**
 * Told how a download goes, a few times a second and once when each file is whole; the caller
 * renders it (a notebook's updating display, a terminal's one line). Called on the downloading thread.
 */
@FunctionalInterface
public interface DownloadListener {

    /** Renders nothing. */
    DownloadListener NONE = progress -> { };

    void onProgress(DownloadProgress progress);
}
