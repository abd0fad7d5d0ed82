package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.lora.LoraConfig;
import io.jlora.magics.CommandResult;
import io.jlora.magics.Html;
import io.jlora.magics.compare.ComparisonRun;
import io.jlora.magics.compare.RunResult;
import io.jlora.magics.compare.RunSpec;
import io.jlora.magics.view.CompareChart;
import io.jlora.magics.view.LiveCompareView;
import io.jlora.magics.view.StepPoint;
import io.jlora.train.StepMetrics;
import io.jlora.train.TrainerConfig;
import io.jlora.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code compare [--configs r8,r16,r64,r16+4bit,full] --steps N ...}: trains the same data with each
 * configuration in turn, from a fresh load of the same base, with the same seed and steps, and shows
 * every loss curve on one chart (live in a notebook) and a table of final train / eval loss, trainable
 * parameters, peak memory, tokens/s and the size of what saving writes. The loaded model is left as
 * it is.
 */
@Command(name = "compare", description = "Trains the same data with several configurations (LoRA ranks, LoRA on a quantized base,"
        + " full fine-tuning) one after another, same seed and steps; one chart of every loss curve and a table.",
        footer = {"%nExample:%n  compare --model models/tiny --file data.jsonl --configs r8,r16,r16+4bit,full --steps 50 --output-folder runs"})
public final class CompareCommand extends LoraCommand {
    @Option(names = "--configs", defaultValue = RunSpec.DEFAULT, paramLabel = "LIST",
            description = "comma list of full, lora (rank --lora-r), rN (LoRA rank N), rN+4bit (on an NF4 base), rN+nf4|fp4|int4|int8"
                    + " (default: ${DEFAULT-VALUE})")
    String configs;

    @Mixin
    TrainingOptions training;

    @Mixin
    AttachCommand.LoraOptions lora;

    @Option(names = "--model", paramLabel = "DIR", description = "base model folder (default: the loaded model's folder)")
    Path model;

    @Mixin
    LoadOptions load;

    @Mixin
    OneShotDataOptions dataOptions;

    @Option(names = "--output-folder", paramLabel = "DIR",
            description = "keep each run's result as DIR/NAME: the PEFT adapter (LoRA runs) or the whole model (full) at its root"
                    + " (default: measured, then deleted)")
    Path output;

    @Option(names = "--plot-file", paramLabel = "PNG", description = "also write the final chart to this PNG file")
    Path plotFile;

    @Option(names = "--plot-every", defaultValue = "5", paramLabel = "N", description = "redraw the chart every N steps (default: ${DEFAULT-VALUE})")
    int plotEvery;

    @Override
    public CommandResult execute() throws IOException {
        List<RunSpec> parsed;
        try {
            parsed = RunSpec.parseList(configs, lora.r);
        } catch (io.jlora.JloraException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
        // --quantization is the base of every LoRA run that names none (r16 -> r16+int4)
        String quantized = load.quantizationOrNull();
        List<RunSpec> specs = quantized == null ? parsed : parsed.stream().map(s -> !s.peft() || s.quantization() != null ? s
                : new RunSpec(s.label() + " + " + quantized, true, s.r(), quantized)).toList();
        Path base = model != null ? io.jlora.magics.HubFolders.model(model, null) : session.model().dir();
        if (load.verifyChecksums) {
            io.jlora.io.FolderManifest.verify(io.jlora.io.FolderCommit.readable(base), io.jlora.io.FolderManifest.Check.SHA256);
        }
        Dataset data;
        TokenizeOptions tokenize;
        if (dataOptions.given()) {
            data = dataOptions.load();
            tokenize = dataOptions.tokenizeOptions(training.seed);
        } else {
            data = session.dataset();
            tokenize = session.tokenizeOptions();
        }
        TrainerConfig.Builder b = training.builder();
        if (training.steps == null && training.epochs == null) b.epochs(1);
        TrainerConfig config;
        try {
            config = b.build();
        } catch (io.jlora.InvalidFieldException e) {
            throw ConfigDefaults.usage(e);
        }
        LoraConfig loraConfig = lora.config();
        ComparisonRun runner = new ComparisonRun(base, load.device, load.dtype, data, tokenize, loraConfig, config);
        CompareChart chart = new CompareChart("training loss: " + base.getFileName());
        LiveCompareView view = new LiveCompareView(chart, plotEvery);
        List<RunResult> results = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            RunSpec spec = specs.get(i);
            int index = i + 1;
            long started = System.nanoTime();
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onStep(StepMetrics m) {
                    view.onStep(spec.label(), index, specs.size(), new StepPoint((int) m.step(), (int) Math.max(0, config.steps()),
                            m.loss(), m.lr(), Double.NaN, m.tokensPerSecond(), (long) (m.rssMb() * 1024 * 1024),
                            (System.nanoTime() - started) / 1e9));
                }
            };
            results.add(runner.run(spec, listener, output != null ? output.resolve(folderName(spec)) : null));
            view.refresh();
            if (Thread.currentThread().isInterrupted()) break;
        }
        if (plotFile != null) chart.writePng(plotFile, 960, 540);
        return new Compared(base, config, results, plotFile);
    }

    /** LoRA r16 + nf4 -> lora-r16-nf4. */
    static String folderName(RunSpec spec) {
        return spec.label().toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    }

    /** The comparison table (text, HTML, JSON). */
    record Compared(Path base, TrainerConfig config, List<RunResult> runs, Path plot) implements CommandResult {
        static final String[] HEADER = {"configuration", "train loss", "eval loss", "trainable params", "peak memory (MiB)",
                "tokens/s", "output (MiB)"};

        List<String[]> rows() {
            List<String[]> rows = new ArrayList<>();
            for (RunResult r : runs) {
                rows.add(new String[] {r.spec().label(), String.format("%.4f", r.lastLoss()),
                        r.evalLoss() != null ? String.format("%.4f", r.evalLoss()) : "-",
                        String.format("%,d", r.trainableParameters()), String.format("%.0f", r.peakRssMb()),
                        String.format("%.1f", r.tokensPerSecond()), String.format("%.2f", r.outputBytes() / (1024.0 * 1024.0))});
            }
            return rows;
        }

        @Override
        public String text() {
            List<String[]> all = new ArrayList<>();
            all.add(HEADER);
            all.addAll(rows());
            int[] width = new int[HEADER.length];
            for (String[] row : all) for (int c = 0; c < row.length; c++) width[c] = Math.max(width[c], row[c].length());
            StringBuilder t = new StringBuilder(String.format("compared %d configurations on %s, %d steps each, seed %d%n",
                    runs.size(), base.getFileName(), runs.isEmpty() ? 0 : runs.get(0).losses().size(), config.seed()));
            for (String[] row : all) {
                for (int c = 0; c < row.length; c++) {
                    t.append(c == 0 ? String.format("%-" + width[c] + "s", row[c]) : String.format("  %" + width[c] + "s", row[c]));
                }
                t.append('\n');
            }
            if (plot != null) t.append("chart: ").append(plot).append('\n');
            return t.toString().stripTrailing();
        }

        @Override
        public String html() {
            StringBuilder h = new StringBuilder("<table><caption style=\"text-align:left\"><b>")
                    .append(Html.escape(String.format("%d configurations on %s, %d steps each, seed %d", runs.size(), base.getFileName(),
                            runs.isEmpty() ? 0 : runs.get(0).losses().size(), config.seed())))
                    .append("</b></caption><tr>");
            for (String c : HEADER) h.append("<th>").append(Html.escape(c)).append("</th>");
            h.append("</tr>");
            for (String[] row : rows()) {
                h.append("<tr>");
                for (int c = 0; c < row.length; c++) {
                    h.append(c == 0 ? "<td style=\"text-align:left\">" : "<td style=\"text-align:right\">").append(Html.escape(row[c])).append("</td>");
                }
                h.append("</tr>");
            }
            return h.append("</table>").toString();
        }

        @Override
        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", base.toString());
            j.put("seed", config.seed());
            j.put("runs", runs.stream().map(RunResult::json).toList());
            j.put("plot", plot != null ? plot.toString() : null);
            return j;
        }

        @Override
        public String toString() {
            return text();
        }
    }
}
