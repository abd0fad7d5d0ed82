package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.magics.CommandResult;
import io.jlora.magics.Html;
import io.jlora.magics.ModelSummary;
import io.jlora.train.StepMetrics;
import io.jlora.train.Trainer;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code status}: what is loaded (and how long loading took), attached, read and trained. */
@Command(name = "status", description = "Shows what the session has: the model (and its load time), the adapters, the dataset and the training run.",
        footer = {"%nExample:%n  status --json"})
public final class StatusCommand extends LoraCommand {
    @Override
    public boolean sessionOnly() {
        return true;
    }

    @Override
    public CommandResult execute() {
        List<String> lines = new ArrayList<>();
        Map<String, Object> json = new LinkedHashMap<>();
        if (session.hasModel()) {
            ModelSummary model = new ModelSummary(session.model(), session.loadSeconds(), session.quantization());
            lines.add(model.text());
            json.putAll(model.json());
            if (session.hasAdapters()) {
                AdapterSummary adapters = new AdapterSummary("adapters:", session.adapters());
                lines.add(adapters.text());
                json.putAll(adapters.json());
            }
        } else {
            lines.add("nothing loaded yet: load --model DIR");
            json.put("model", null);
        }
        Dataset data = session.datasetOrNull();
        if (data != null) {
            lines.add(String.format("data: %s, %d records, format %s", data.file(), data.size(), data.format()));
            json.put("data", data.file().toString());
            json.put("records", data.size());
        }
        lines.add(training(json));
        String text = String.join("\n", lines);
        return new CommandResult() {
            @Override
            public String text() {
                return text;
            }

            @Override
            public String html() {
                return "<pre>" + Html.escape(text) + "</pre>";
            }

            @Override
            public Map<String, Object> json() {
                return json;
            }

            @Override
            public String toString() {
                return text;
            }
        };
    }

    /** The training run's state: step of planned, last loss, the last checkpoint; or that there is none. */
    private String training(Map<String, Object> json) {
        Trainer trainer = session.trainer();
        if (trainer == null) {
            json.put("training", null);
            return session.fullyTrained() ? "training: the model's own weights were trained (--peft false)" : "training: none yet (train --steps N)";
        }
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("step", trainer.currentStep());
        t.put("planned_steps", trainer.plannedSteps());
        List<StepMetrics> history = trainer.history();
        StepMetrics last = history.isEmpty() ? null : history.get(history.size() - 1);
        t.put("loss", last != null ? last.loss() : null);
        t.put("first_loss", history.isEmpty() ? null : history.get(0).loss());
        t.put("eval_loss", trainer.lastEval() != null ? trainer.lastEval().loss() : null);
        t.put("checkpoint", trainer.lastCheckpoint() != null ? trainer.lastCheckpoint().toString() : null);
        t.put("full_fine_tuning", session.fullyTrained());
        json.put("training", t);
        StringBuilder line = new StringBuilder(String.format("training: step %d of %d", trainer.currentStep(), trainer.plannedSteps()));
        if (last != null) line.append(String.format(", loss %.4f -> %.4f", history.get(0).loss(), last.loss()));
        if (trainer.lastEval() != null) line.append(String.format(", eval loss %.4f", trainer.lastEval().loss()));
        if (trainer.lastCheckpoint() != null) line.append(", last checkpoint ").append(trainer.lastCheckpoint());
        line.append(trainer.currentStep() < trainer.plannedSteps() ? " ('step N' continues)" : "");
        return line.toString();
    }
}
