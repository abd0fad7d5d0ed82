package io.jlora.spark;

import io.jlora.JloraException;
import io.jlora.train.StepMetrics;
import io.jlora.train.TrainingListener;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code spark-submit --class io.jlora.spark.SparkTrain jlora-spark.jar [train|dpo] --workers N OPTIONS}:
 * the cluster's door to the one-shot train and dpo commands, with the same options as
 * {@code bin/jlora train}; the master comes from spark-submit (or {@code --spark-master}). Prints a
 * line a step and the command's JSON object last.
 */
public final class SparkTrain {

    private SparkTrain() {}

    public static void main(String[] argv) throws Exception {
        List<String> words = new ArrayList<>(List.of(argv));
        if (words.contains("-h") || words.contains("--help")) {
            System.out.println("Usage: spark-submit --class io.jlora.spark.SparkTrain jlora-spark.jar [train|dpo] [--workers N]"
                    + " [--spark-master URL] OPTIONS\nThe options are bin/jlora train's (bin/jlora train --help): --model,"
                    + " --file and --output-folder (paths every worker can read and write) are required.");
            return;
        }
        String command = !words.isEmpty() && (words.get(0).equals("train") || words.get(0).equals("dpo")) ? words.remove(0) : "train";
        String master = take(words, "--spark-master", null);
        int workers = Integer.parseInt(take(words, "--workers", "2"));
        try {
            SparkTrainingLauncher launcher = new SparkTrainingLauncher();
            var result = launcher.run(master, workers, command, words, new TrainingListener() {
                @Override
                public void onStep(StepMetrics m) {
                    System.out.printf("step %d: loss %.4f, lr %.2e, %.0f tokens/s%n", m.step(), m.loss(), m.lr(), m.tokensPerSecond());
                }
            });
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(result.json()));
        } catch (JloraException e) {
            System.err.println("jlora: " + e.getMessage());
            System.exit(1);
        }
    }

    private static String take(List<String> words, String option, String fallback) {
        for (int i = 0; i < words.size(); i++) {
            if (words.get(i).equals(option) && i + 1 < words.size()) {
                words.remove(i);
                return words.remove(i);
            }
            if (words.get(i).startsWith(option + "=")) {
                return words.remove(i).substring(option.length() + 1);
            }
        }
        return fallback;
    }
}
