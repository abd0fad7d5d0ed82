package io.jlora.magics.view;

import io.jlora.magics.Html;

/** The progress line under the plot: step of total, a bar, tokens/s, time left and memory. */
public final class ProgressBar {
    private ProgressBar() {
    }

    public static String html(StepPoint p, String state) {
        double fraction = p.totalSteps() > 0 ? Math.min(1, (double) p.step() / p.totalSteps()) : 0;
        return "<div style=\"font-family:monospace\">"
                + "<div style=\"display:inline-block;width:240px;height:12px;border:1px solid #888;vertical-align:middle\">"
                + String.format("<div style=\"width:%.1f%%;height:100%%;background:#1f77b4\"></div></div> ", 100 * fraction)
                + Html.escape(text(p, state)) + "</div>";
    }

    public static String text(StepPoint p, String state) {
        String total = p.totalSteps() > 0 ? "/" + p.totalSteps() : "";
        double eta = p.totalSteps() > 0 && p.step() > 0 ? p.elapsedSeconds() / p.step() * (p.totalSteps() - p.step()) : Double.NaN;
        return String.format("%s step %d%s  loss %.4f  lr %.2e  %.0f tokens/s  %s left  %.2f GB resident",
                state, p.step(), total, p.loss(), p.learningRate(), p.tokensPerSecond(),
                Double.isNaN(eta) ? "?" : duration(eta), p.residentBytes() / 1e9);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
