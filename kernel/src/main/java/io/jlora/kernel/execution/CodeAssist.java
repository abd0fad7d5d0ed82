package io.jlora.kernel.execution;

import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Completion, inspection and is-complete answers for a cell, through JShell's source analysis. */
public final class CodeAssist {
    /** Matches replacing {@code code[start, end)}. */
    public record Completions(List<String> matches, int start, int end) {
    }

    /** Signature lines and javadoc for what is under the cursor; empty when nothing is known. */
    public record Inspection(String signatures, String javadoc) {
        public boolean found() {
            return !signatures.isEmpty();
        }
    }

    /** complete, incomplete (with an indent hint) or invalid, as is_complete_reply says. */
    public record Readiness(String status, String indent) {
    }

    private final SourceCodeAnalysis analysis;
    private final SourceSplitter splitter;

    CodeAssist(SourceCodeAnalysis analysis, SourceSplitter splitter) {
        this.analysis = analysis;
        this.splitter = splitter;
    }

    public Completions complete(String code, int cursor) {
        int from = snippetStart(code, cursor);
        String snippet = code.substring(from, cursor);
        int[] anchor = new int[1];
        Set<String> matches = new LinkedHashSet<>();
        List<SourceCodeAnalysis.Suggestion> suggestions = analysis.completionSuggestions(snippet, snippet.length(), anchor);
        // JShell lists the suggestions that match the expected type first; keep that order
        for (SourceCodeAnalysis.Suggestion s : suggestions) if (s.matchesType()) matches.add(s.continuation());
        for (SourceCodeAnalysis.Suggestion s : suggestions) matches.add(s.continuation());
        return new Completions(new ArrayList<>(matches), from + anchor[0], cursor);
    }

    public Inspection inspect(String code, int cursor) {
        int from = snippetStart(code, cursor);
        String snippet = code.substring(from, Math.min(code.length(), wordEnd(code, cursor)));
        int at = Math.min(cursor - from, snippet.length());
        List<SourceCodeAnalysis.Documentation> docs;
        try {
            docs = analysis.documentation(snippet, at, true);
        } catch (RuntimeException e) {
            return new Inspection("", "");
        }
        StringBuilder signatures = new StringBuilder(), javadoc = new StringBuilder();
        for (SourceCodeAnalysis.Documentation doc : docs) {
            signatures.append(doc.signature()).append('\n');
            if (doc.javadoc() != null && !doc.javadoc().isBlank()) {
                javadoc.append(doc.signature()).append("\n\n").append(doc.javadoc().strip()).append("\n\n");
            }
        }
        return new Inspection(signatures.toString().strip(), javadoc.toString().strip());
    }

    public Readiness isComplete(String code) {
        if (code.isBlank()) return new Readiness("complete", "");
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            Completeness c = info.completeness();
            if (c == Completeness.DEFINITELY_INCOMPLETE || c == Completeness.CONSIDERED_INCOMPLETE) {
                return new Readiness("incomplete", indentFor(code));
            }
            if (c == Completeness.UNKNOWN) return new Readiness("invalid", "");
            if (info.remaining().length() >= remaining.length()) break;
            remaining = info.remaining();
        }
        return new Readiness("complete", "");
    }

    /** Indent the next line one level deeper for every bracket still open. */
    private static String indentFor(String code) {
        int depth = 0;
        for (char ch : code.toCharArray()) {
            if (ch == '{' || ch == '(' || ch == '[') depth++;
            else if ((ch == '}' || ch == ')' || ch == ']') && depth > 0) depth--;
        }
        String lastLine = code.substring(code.lastIndexOf('\n') + 1);
        String current = lastLine.substring(0, lastLine.length() - lastLine.stripLeading().length());
        return depth > 0 ? current + "    " : current;
    }

    /** Where the snippet holding the cursor starts: JShell analyses one snippet at a time. */
    private int snippetStart(String code, int cursor) {
        int start = 0;
        for (SourceSplitter.Piece piece : splitter.split(code.substring(0, cursor), 1)) {
            if (piece.end() < cursor && piece.completeness().isComplete()) start = piece.end();
        }
        return start;
    }

    private static int wordEnd(String code, int cursor) {
        int i = cursor;
        while (i < code.length() && Character.isJavaIdentifierPart(code.charAt(i))) i++;
        return i;
    }
}
