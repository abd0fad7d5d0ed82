package io.jlora.magics.view;

import io.jlora.kernel.runtime.Notebook;

import java.util.UUID;

/**
 * What a notebook shows while compare runs: the chart of every run's loss curve and a progress bar
 * of the current run, displayed once and updated in place (update_display_data) every few steps and
 * at the end of each run. In a console it prints the progress line instead.
 */
public final class LiveCompareView {
    private final CompareChart chart;
    private final int updateEvery;
    private final String plotId = "jlora-compare-" + UUID.randomUUID();
    private final String progressId = "jlora-compare-progress-" + UUID.randomUUID();
    private final boolean rich = Notebook.current().isRich();
    private boolean shown;

    public LiveCompareView(CompareChart chart, int updateEvery) {
        this.chart = chart;
        this.updateEvery = Math.max(1, updateEvery);
    }

    /** A step of run {@code label} (the {@code index}-th of {@code runs}). */
    public synchronized void onStep(String label, int index, int runs, StepPoint point) {
        chart.add(label, point.step(), point.loss());
        String state = "run " + index + "/" + runs + " " + label + ":";
        boolean redraw = point.step() % updateEvery == 0 || point.step() == point.totalSteps();
        if (!rich) {
            if (redraw) System.out.println(ProgressBar.text(point, state));
            return;
        }
        if (!shown) {
            plot().show(plotId, true);
            LiveTrainingView.progress(point, state).show(progressId, true);
            shown = true;
            return;
        }
        LiveTrainingView.progress(point, state).show(progressId, false);
        if (redraw) plot().show(plotId, false);
    }

    /** The chart as a notebook shows it, with its one-line summary for consoles. */
    RichView plot() {
        return RichView.png(chart.image(720, 400), chart.summary());
    }

    /** Redraws the chart with every run so far (after a run ends). */
    public synchronized void refresh() {
        if (rich && shown) plot().show(plotId, false);
    }
}
