package io.jlora.magics.commands;

import io.jlora.data.RenderedRow;
import io.jlora.magics.CommandResult;
import io.jlora.magics.Html;
import io.jlora.model.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of {@code render}: per row the text, ids and labels ({@code --json}), the text with
 * the trained tokens highlighted (notebook) or between « and » (console). The highlighted pieces
 * are the tokenizer's decoding of each run of tokens that do or do not carry loss.
 */
record RenderedRows(List<RenderedRow> rows, List<Integer> indices, List<List<Piece>> pieces) implements CommandResult {

    /** Decoded text of consecutive tokens that all carry loss or all do not. */
    record Piece(String text, boolean trained) {}

    static RenderedRows of(List<RenderedRow> rows, List<Integer> indices, HfTokenizer tokenizer) {
        List<List<Piece>> pieces = new ArrayList<>();
        for (RenderedRow r : rows) {
            List<Piece> row = new ArrayList<>();
            int from = 0;
            for (int k = 1; k <= r.ids().length; k++) {
                if (k == r.ids().length || r.trained(k) != r.trained(from)) {
                    row.add(new Piece(tokenizer.decode(Arrays.copyOfRange(r.ids(), from, k), false), r.trained(from)));
                    from = k;
                }
            }
            pieces.add(row);
        }
        return new RenderedRows(rows, indices, pieces);
    }

    private static int trainedCount(RenderedRow r) {
        int n = 0;
        for (int k = 0; k < r.ids().length; k++) {
            if (r.trained(k)) n++;
        }
        return n;
    }

    private String heading(int k) {
        RenderedRow r = rows.get(k);
        return String.format("row %d (line %d): %d tokens, %d carry loss", indices.get(k), r.line(), r.ids().length, trainedCount(r));
    }

    @Override
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < rows.size(); k++) {
            sb.append(heading(k)).append(" (between « and »)\n");
            for (Piece p : pieces.get(k)) {
                sb.append(p.trained() ? "«" + p.text() + "»" : p.text());
            }
            sb.append("\nids: ").append(Arrays.toString(rows.get(k).ids())).append("\n\n");
        }
        return sb.toString().stripTrailing();
    }

    @Override
    public String html() {
        StringBuilder html = new StringBuilder();
        for (int k = 0; k < rows.size(); k++) {
            html.append("<div><b>").append(Html.escape(heading(k))).append("</b> (highlighted)")
                    .append("<pre style=\"white-space:pre-wrap\">");
            for (Piece p : pieces.get(k)) {
                String t = Html.escape(p.text());
                html.append(p.trained() ? "<span style=\"background:#c6f6c6\">" + t + "</span>" : t);
            }
            html.append("</pre><details><summary>ids</summary><code>").append(Arrays.toString(rows.get(k).ids()))
                    .append("</code></details></div>");
        }
        return html.toString();
    }

    @Override
    public Map<String, Object> json() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RenderedRow r : rows) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("text", r.text());
            row.put("ids", r.ids());
            row.put("labels", r.labels());
            out.add(row);
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("rows", out);
        return j;
    }

    @Override
    public String toString() {
        return text();
    }
}
