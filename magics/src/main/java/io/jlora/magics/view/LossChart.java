package io.jlora.magics.view;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss plot of a training run: train loss per step, eval loss where measured, and the learning
 * rate on a second axis. Holds the points; draws a fresh XChart image when asked.
 */
public final class LossChart {
    private final List<Double> steps = new ArrayList<>(), losses = new ArrayList<>(), rates = new ArrayList<>();
    private final List<Double> evalSteps = new ArrayList<>(), evalLosses = new ArrayList<>();
    private final String title;

    public LossChart(String title) {
        this.title = title;
    }

    public synchronized void add(StepPoint point) {
        if (Double.isFinite(point.loss())) {
            steps.add((double) point.step());
            losses.add(point.loss());
            rates.add(point.learningRate());
        }
        if (Double.isFinite(point.evalLoss())) {
            evalSteps.add((double) point.step());
            evalLosses.add(point.evalLoss());
        }
    }

    /** One line for consoles: the title, steps so far, first and last loss, the last eval loss. */
    public synchronized String summary() {
        if (steps.isEmpty()) return title + ": no steps yet";
        String eval = evalLosses.isEmpty() ? "" : String.format(", eval loss %.4f", evalLosses.get(evalLosses.size() - 1));
        return String.format("%s: step %.0f, loss %.4f -> %.4f%s", title, steps.get(steps.size() - 1), losses.get(0),
                losses.get(losses.size() - 1), eval);
    }

    public synchronized int size() {
        return steps.size();
    }

    public synchronized BufferedImage image(int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title)
                .xAxisTitle("step").yAxisTitle("loss").build();
        Styler styler = chart.getStyler();
        styler.setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(4);
        if (steps.isEmpty()) {
            chart.addSeries("train loss", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
            return BitmapEncoder.getBufferedImage(chart);
        }
        XYSeries train = chart.addSeries("train loss", steps, losses);
        train.setMarker(SeriesMarkers.NONE);
        train.setLineColor(new Color(0x1F, 0x77, 0xB4));
        if (!evalSteps.isEmpty()) {
            XYSeries eval = chart.addSeries("eval loss", evalSteps, evalLosses);
            eval.setMarker(SeriesMarkers.CIRCLE);
            eval.setLineColor(new Color(0xD6, 0x27, 0x28));
            eval.setMarkerColor(new Color(0xD6, 0x27, 0x28));
        }
        XYSeries lr = chart.addSeries("learning rate", steps, rates);
        lr.setYAxisGroup(1);
        lr.setMarker(SeriesMarkers.NONE);
        lr.setLineColor(new Color(0x99, 0x99, 0x99));
        chart.setYAxisGroupTitle(1, "learning rate");
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        return BitmapEncoder.getBufferedImage(chart);
    }
}
