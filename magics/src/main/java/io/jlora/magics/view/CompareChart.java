package io.jlora.magics.view;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The loss curves of several training runs on one plot, one series per run, in the order they ran. */
public final class CompareChart {
    private static final Color[] COLORS = {new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C),
            new Color(0xD62728), new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F)};

    private final String title;
    private final Map<String, List<double[]>> curves = new LinkedHashMap<>();

    public CompareChart(String title) {
        this.title = title;
    }

    /** Adds the loss of {@code step} to run {@code run}'s curve (a new run starts a new series). */
    public synchronized void add(String run, int step, double loss) {
        List<double[]> points = curves.computeIfAbsent(run, k -> new ArrayList<>());
        if (Double.isFinite(loss)) points.add(new double[] {step, loss});
    }

    /** One line for consoles: each run's last loss and step. */
    public synchronized String summary() {
        StringBuilder line = new StringBuilder(title).append(':');
        if (curves.isEmpty()) return line.append(" no steps yet").toString();
        curves.forEach((run, points) -> {
            if (points.isEmpty()) return;
            double[] last = points.get(points.size() - 1);
            line.append(String.format(" %s loss %.4f at step %.0f;", run, last[1], last[0]));
        });
        return line.substring(0, line.length() - (line.charAt(line.length() - 1) == ';' ? 1 : 0));
    }

    /** Runs with a curve, in order. */
    public synchronized List<String> runs() {
        return new ArrayList<>(curves.keySet());
    }

    public synchronized BufferedImage image(int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle("step").yAxisTitle("training loss").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        int k = 0;
        for (Map.Entry<String, List<double[]>> e : curves.entrySet()) {
            List<double[]> points = e.getValue();
            if (points.isEmpty()) continue;
            double[] x = new double[points.size()];
            double[] y = new double[points.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = points.get(i)[0];
                y[i] = points.get(i)[1];
            }
            XYSeries s = chart.addSeries(e.getKey(), x, y);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(COLORS[k++ % COLORS.length]);
        }
        if (k == 0) chart.addSeries("no steps yet", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Writes the chart as a PNG file. */
    public void writePng(Path file, int width, int height) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
        try {
            javax.imageio.ImageIO.write(image(width, height), "png", tmp.toFile());
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
