package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import io.jlora.magics.LoraSession;
import io.jlora.magics.view.LiveTrainingView;
import io.jlora.train.TrainingSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code train|dpo --spark-master URL --workers N ...}: the driver's side. Checks what the workers
 * will need before anything starts, hands the command's own one-shot options to the cluster module
 * ({@link DistributedTraining}) and shows member 0's metrics in the same live view as one machine.
 */
public final class ClusterTraining {

    private ClusterTraining() {}

    static CommandResult run(TrainCommand command, CommandSpec spec, LoraSession session, String master, int workers, Path output,
            boolean plot, int plotEvery) throws Exception {
        if (workers < 1) {
            throw new CommandRunner.UsageException("--workers must be >= 1, got " + workers);
        }
        List<String> args = oneShotArgs(spec.commandLine().getParseResult().originalArgs(), spec.name());
        for (String needed : List.of("--model", "--file", "--output-folder")) {
            if (args.stream().noneMatch(a -> a.equals(needed) || a.startsWith(needed + "="))) {
                throw new CommandRunner.UsageException("--spark-master needs " + needed + ": each worker loads the model and"
                        + " reads the data itself, and member 0 writes the result to the output folder (paths every worker can read)");
            }
        }
        DistributedTraining cluster = ServiceLoader.load(DistributedTraining.class).findFirst()
                .orElseThrow(() -> new CommandRunner.UsageException("--spark-master needs jlora's Spark module on the class path:"
                        + " build/spark/* (bin/jlora adds it for --spark-master; in a notebook run %classpath"
                        + " <checkout>/build/spark/* first)"));
        boolean rich = io.jlora.kernel.runtime.Notebook.current().isRich();
        LiveTrainingView view = rich || plot ? new LiveTrainingView("training loss (" + workers + " workers)", plotEvery) : null;
        long planned = command.training.steps != null ? command.training.steps : 0;
        DistributedTraining.Result result = cluster.run(master, workers, spec.name(), args,
                TrainCommand.viewListener(view, planned, System.nanoTime()));
        TrainingSummary summary = result.summary();
        if (view != null) {
            view.onEnd(summary.stopReason() == TrainingSummary.StopReason.COMPLETED ? "done" : summary.stopReason().name().toLowerCase());
        }
        Path folder = output.toAbsolutePath().normalize();
        return new TrainCommand.Trained(summary, folder, String.valueOf(result.json().get("output_kind")), List.of(),
                TrainOutput.checkpoints(folder), result.json().get("merged_into_base_files") instanceof String m ? Path.of(m) : null);
    }

    /** The command's words after its name, without the cluster's own options. */
    public static List<String> oneShotArgs(List<String> original, String name) {
        int start = original.indexOf(name);
        List<String> out = new ArrayList<>();
        for (int i = start + 1; i < original.size(); i++) {
            String a = original.get(i);
            if (a.equals("--spark-master") || a.equals("--workers")) {
                i++;
            } else if (!a.startsWith("--spark-master=") && !a.startsWith("--workers=")) {
                out.add(a);
            }
        }
        return out;
    }
}
