package io.jlora.magics.commands;

import io.jlora.magics.CommandResult;
import io.jlora.train.Trainer;
import io.jlora.train.TrainingSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code step [N]}: N more steps of the last training run, interactively. */
@Command(name = "step", description = "Runs N more training steps (default 1) of the last 'train' (a session command).",
        footer = {"%nExample:%n  step 10"})
public final class StepCommand extends LoraCommand {
    @Override
    public boolean sessionOnly() {
        return true;
    }

    @Parameters(arity = "0..1", defaultValue = "1", paramLabel = "N", description = "how many steps (default: ${DEFAULT-VALUE})")
    long n;

    @Option(names = "--plot-every", defaultValue = "5", paramLabel = "N", description = "redraw the plot every N steps (default: ${DEFAULT-VALUE})")
    int plotEvery;

    @Override
    public CommandResult execute() {
        Trainer trainer = session.trainer();
        if (trainer == null) throw new CommandRunner.UsageException("nothing to continue: run 'train' first");
        if (n <= 0) throw new CommandRunner.UsageException("step N needs N > 0, not " + n);
        TrainingSummary summary = TrainCommand.run(session, trainer, n, false, plotEvery);
        return new TrainCommand.Trained(summary, null, null, List.of(), List.of(), null);
    }
}
