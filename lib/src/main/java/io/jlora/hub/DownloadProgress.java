package io.jlora.hub;

import java.util.Locale;

/**
 * Where a download of a model's files stands.
 *
 * @param repo what is downloaded, {@code ORG/NAME[@REV]}
 * @param file the file being downloaded now
 * @param fileIndex its place, from 1, among {@code fileCount} files to download
 * @param bytes bytes of all files so far, counting those a resume found already there
 * @param totalBytes bytes of all files, as the Hub announced them
 * @param done whether every file is whole
 */
public record DownloadProgress(String repo, String file, int fileIndex, int fileCount, long bytes, long totalBytes,
        boolean done) {

    public double fraction() {
        return totalBytes <= 0 ? (done ? 1 : 0) : Math.min(1, (double) bytes / totalBytes);
    }

    /**
     * One line: {@code downloading org/name: 45% 12.3/27.0 MB, file 2/5 model.safetensors}, at the end
     * {@code downloaded org/name: 27.0 MB, 5 files}.
     */
    public String text() {
        if (done) {
            return String.format(Locale.ROOT, "downloaded %s: %s MB, %d file%s", repo, mb(bytes), fileCount, fileCount == 1 ? "" : "s");
        }
        return String.format(Locale.ROOT, "downloading %s: %3.0f%% %s/%s MB, file %d/%d %s",
                repo, 100 * fraction(), mb(bytes), mb(totalBytes), fileIndex, fileCount, file);
    }

    private static String mb(long n) {
        return String.format(Locale.ROOT, "%.1f", n / 1e6);
    }
}
