package io.jlora.magics.commands;

import io.jlora.train.TrainingListener;
import io.jlora.train.TrainingSummary;
import java.util.List;

/**
 * Runs a one-shot {@code train} or {@code dpo} on a cluster ({@code --spark-master}); found with
 * {@link java.util.ServiceLoader}, so the kernel and the command line carry no cluster code unless
 * its module (jlora-spark, built into build/spark) is on the class path.
 */
public interface DistributedTraining {

    /**
     * Runs {@code command} (train or dpo) with {@code args} (its one-shot options, without the
     * cluster's) on {@code workers} members of a data-parallel group at {@code master}, streaming
     * member 0's metrics to {@code listener}; interrupting the calling thread stops the group after
     * its current step. Returns member 0's result as the command's JSON object.
     */
    Result run(String master, int workers, String command, List<String> args, TrainingListener listener) throws Exception;

    /** What member 0 answered: the command's JSON object, and the run's summary. */
    record Result(java.util.Map<String, Object> json, TrainingSummary summary) {}
}
