package io.jlora.kernel.execution;

import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a cell into the snippets JShell evaluates one by one, remembering where each starts in the
 * cell so that errors and tracebacks can name the cell's own line numbers.
 */
final class SourceSplitter {
    /** One snippet: its source as JShell wants it, where it starts in the cell, and whether it is whole. */
    record Piece(String source, int start, int end, int firstLine, Completeness completeness) {
    }

    private final SourceCodeAnalysis analysis;

    SourceSplitter(SourceCodeAnalysis analysis) {
        this.analysis = analysis;
    }

    /** @param firstLine the cell line (1-based) on which {@code code} starts */
    List<Piece> split(String code, int firstLine) {
        List<Piece> pieces = new ArrayList<>();
        int offset = 0;
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            int consumed = remaining.length() - info.remaining().length();
            if (consumed <= 0 || !info.completeness().isComplete()) {
                // the rest does not form a whole snippet: hand it over as it is, JShell will say why
                pieces.add(piece(code, offset + leadingBlank(remaining), code.length(), firstLine,
                        remaining.strip(), info.completeness()));
                break;
            }
            int start = offset + leadingBlank(remaining);
            // leading blank lines are counted in firstLine, so the source must not hold them too
            String source = (info.source() != null ? info.source() : remaining.substring(0, consumed)).stripLeading();
            pieces.add(piece(code, start, offset + consumed, firstLine, source, info.completeness()));
            offset += consumed;
            remaining = info.remaining();
        }
        return pieces;
    }

    private static Piece piece(String code, int start, int end, int firstLine, String source, Completeness completeness) {
        return new Piece(source, start, end, firstLine + countLines(code, start), completeness);
    }

    private static int leadingBlank(String text) {
        int i = 0;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
        return i;
    }

    private static int countLines(String text, int upTo) {
        int lines = 0;
        for (int i = 0; i < upTo && i < text.length(); i++) if (text.charAt(i) == '\n') lines++;
        return lines;
    }
}
