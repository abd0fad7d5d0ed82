package io.jlora.lora;

import java.nio.file.Path;
import java.util.List;

/**
 * What a merge wrote.
 *
 * @param output the output folder
 * @param files every file written, under {@code output}
 * @param notes things the user should be told (e.g. that the vocabulary was padded)
 * @param seconds wall time of the merge
 */
public record MergeResult(Path output, List<Path> files, List<String> notes, double seconds) {

    public MergeResult {
        files = List.copyOf(files);
        notes = List.copyOf(notes);
    }
}
