package io.jlora.magics.view;

import io.jlora.kernel.runtime.Notebook;

import java.util.UUID;

/**
 * What a notebook shows while a run trains: the loss plot and a progress bar, each displayed once and
 * then updated in place (update_display_data) every few steps, and a summary at the end. In a console
 * (plain JShell, the CLI) it prints the progress line instead.
 */
public final class LiveTrainingView {
    private final LossChart chart;
    private final int updateEvery;
    private final String plotId = "jlora-plot-" + UUID.randomUUID();
    private final String progressId = "jlora-progress-" + UUID.randomUUID();
    private final boolean rich = Notebook.current().isRich();
    private StepPoint last;
    private boolean shown;

    /** @param updateEvery redraw the plot every this many steps (the progress bar follows every step) */
    public LiveTrainingView(String title, int updateEvery) {
        this.chart = new LossChart(title);
        this.updateEvery = Math.max(1, updateEvery);
    }

    public LossChart chart() {
        return chart;
    }

    public synchronized void onStep(StepPoint point) {
        chart.add(point);
        last = point;
        if (!rich) {
            if (point.step() % updateEvery == 0 || point.step() == point.totalSteps()) System.out.println(ProgressBar.text(point, "training"));
            return;
        }
        if (!shown) {
            plot().show(plotId, true);
            progress(point, "training").show(progressId, true);
            shown = true;
            return;
        }
        progress(point, "training").show(progressId, false);
        if (point.step() % updateEvery == 0) plot().show(plotId, false);
    }

    /** The final picture: the whole plot, and the progress bar saying how the run ended. */
    public synchronized void onEnd(String state) {
        if (last == null) return;
        if (!rich) {
            System.out.println(ProgressBar.text(last, state));
            return;
        }
        plot().show(plotId, false);
        progress(last, state).show(progressId, false);
    }

    /** The plot as a notebook shows it, with its one-line summary for consoles. */
    RichView plot() {
        return RichView.png(chart.image(640, 360), chart.summary());
    }

    /** The progress bar, with its text line for consoles. */
    static RichView progress(StepPoint point, String state) {
        return RichView.html(ProgressBar.html(point, state), ProgressBar.text(point, state));
    }
}
