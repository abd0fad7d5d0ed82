package io.jlora.magics.view;

import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the live views send has a text/plain a console can show: the plot a one-line loss summary
 * (not "BufferedImage@47cb49e8"), the progress bar its text line (not raw {@code <div>}).
 */
class RichViewTest {

    static DisplayData bundle(Object value) {
        return new Renderer().render(value);
    }

    @Test
    void theLossPlotCarriesALossSummaryBesideThePng() {
        LiveTrainingView view = new LiveTrainingView("training loss", 5);
        view.onStep(new StepPoint(1, 3, 2.5, 1e-4, Double.NaN, 100, 1 << 20, 0.5));
        view.onStep(new StepPoint(2, 3, 2.25, 1e-4, Double.NaN, 100, 1 << 20, 1.0));
        view.chart().add(new StepPoint(2, 3, Double.NaN, 0, 2.4, 0, 0, 0));
        DisplayData data = bundle(view.plot());
        assertTrue(((String) data.getData(MIMEType.IMAGE_PNG)).length() > 100);
        String text = (String) data.getData(MIMEType.TEXT_PLAIN);
        assertEquals("training loss: step 2, loss 2.5000 -> 2.2500, eval loss 2.4000", text);
    }

    @Test
    void theProgressBarCarriesItsLineBesideTheHtml() {
        DisplayData data = bundle(LiveTrainingView.progress(new StepPoint(2, 4, 1.5, 2e-4, Double.NaN, 50, 1 << 30, 2), "training"));
        assertTrue(((String) data.getData(MIMEType.TEXT_HTML)).startsWith("<div"));
        String text = (String) data.getData(MIMEType.TEXT_PLAIN);
        assertTrue(text.startsWith("training step 2/4  loss 1.5000"), text);
        assertFalse(text.contains("<"), text);
    }

    @Test
    void theComparisonChartSummarisesEveryRun() {
        CompareChart chart = new CompareChart("training loss: tiny");
        chart.add("LoRA r8", 1, 3.0);
        chart.add("LoRA r8", 2, 2.0);
        chart.add("full", 1, 2.5);
        LiveCompareView view = new LiveCompareView(chart, 5);
        String text = (String) bundle(view.plot()).getData(MIMEType.TEXT_PLAIN);
        assertEquals("training loss: tiny: LoRA r8 loss 2.0000 at step 2; full loss 2.5000 at step 1", text);
    }
}
