package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What save, merge and convert-kohya report: {"output": PATH, "files": [...], "seconds": s}, plus notes. */
record FilesResult(String what, Path output, List<Path> files, List<String> notes, double seconds) implements CommandResult {
    @Override
    public String toString() {
        return text();
    }

    @Override
    public String text() {
        StringBuilder t = new StringBuilder(String.format("%s: %s (%d files, %.2f s)", what, output, files.size(), seconds));
        for (Path f : files) t.append("\n  ").append(output.relativize(f.toAbsolutePath()).toString().isEmpty() ? f : f.getFileName());
        for (String note : notes) t.append("\nnote: ").append(note);
        return t.toString();
    }

    @Override
    public Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("output", output.toString());
        j.put("files", files.stream().map(Path::toString).toList());
        j.put("seconds", seconds);
        if (!notes.isEmpty()) j.put("notes", notes);
        return j;
    }

    static double since(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
