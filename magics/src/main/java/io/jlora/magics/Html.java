package io.jlora.magics;

/** The little HTML that results need: escaping, and key/value tables. */
public final class Html {
    private Html() {
    }

    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A two-column table of the given rows (label, value), with a caption. */
    public static String table(String caption, String[][] rows) {
        StringBuilder html = new StringBuilder("<table><caption style=\"text-align:left\"><b>")
                .append(escape(caption)).append("</b></caption>");
        for (String[] row : rows) {
            html.append("<tr><td style=\"text-align:left\">").append(escape(row[0]))
                    .append("</td><td style=\"text-align:left\">").append(escape(row[1])).append("</td></tr>");
        }
        return html.append("</table>").toString();
    }
}
