package io.jlora.magics.commands;

import io.jlora.JloraException;
import io.jlora.io.FolderCommit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The output folder of {@code train} and {@code dpo}, laid out as Hugging Face's Trainer lays it
 * out: the result itself (the merged model, the PEFT adapter, or the fully fine-tuned model) at the
 * folder's root, checkpoints as {@code checkpoint-STEP/} inside it (they survive the commit of the
 * result: {@link FolderCommit}). Checked before the first step, so that a long run never ends in a
 * refusal to write.
 */
final class TrainOutput {
    private static final String CHECKPOINT = "checkpoint-";

    private TrainOutput() {
    }

    /**
     * Refuses, before any training, an output that would replace a result without {@code --overwrite},
     * the model's own folder, or a folder of an earlier run's checkpoints that is neither resumed
     * nor overwritten.
     */
    static void checkBeforeTraining(Path out, boolean overwrite, boolean resuming, Path modelDir) {
        Path target = out.toAbsolutePath().normalize();
        if (modelDir != null) {
            Path model = modelDir.toAbsolutePath().normalize();
            if (model.startsWith(target)) {
                throw new CommandRunner.UsageException("--output-folder " + out + " is (or holds) the model folder " + modelDir
                        + "; choose another folder");
            }
        }
        if (!Files.exists(target)) return;
        if (!Files.isDirectory(target)) throw new CommandRunner.UsageException("--output-folder " + out + " exists and is not a folder");
        List<String> result = entries(target).stream().filter(n -> !n.startsWith(".") && !FolderCommit.isCarried(n)).toList();
        if (!result.isEmpty() && !overwrite) {
            throw new CommandRunner.UsageException("--output-folder " + out + " exists and is not empty (" + preview(result)
                    + "); pass --overwrite to replace its result, or choose another folder");
        }
        List<Path> checkpoints = checkpoints(target);
        if (result.isEmpty() && !checkpoints.isEmpty() && !resuming && !overwrite) {
            throw new CommandRunner.UsageException("--output-folder " + out + " holds checkpoints of an earlier run ("
                    + preview(checkpoints.stream().map(p -> p.getFileName().toString()).toList())
                    + "); continue it with --resume-from-checkpoint latest, or pass --overwrite to train from the start");
        }
    }

    /** {@code latest}: the highest checkpoint-STEP in {@code out}; otherwise the folder named. */
    static Path resumeFrom(String value, Path out) {
        if (!"latest".equals(value)) {
            Path dir = Path.of(value);
            if (!Files.isDirectory(FolderCommit.readable(dir))) {
                throw new CommandRunner.UsageException("--resume-from-checkpoint " + value + ": no such folder");
            }
            return dir;
        }
        if (out == null) throw new CommandRunner.UsageException("--resume-from-checkpoint latest needs --output-folder DIR (it looks in DIR)");
        List<Path> all = checkpoints(out.toAbsolutePath().normalize());
        if (all.isEmpty()) throw new CommandRunner.UsageException("--resume-from-checkpoint latest: " + out + " holds no checkpoint-STEP folder");
        return all.get(all.size() - 1);
    }

    /** The checkpoint-STEP folders of {@code dir}, lowest step first. */
    static List<Path> checkpoints(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> FolderCommit.isCarried(p.getFileName().toString()) && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(CHECKPOINT.length()))))
                    .toList();
        } catch (IOException e) {
            throw new JloraException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static List<String> entries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new JloraException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String preview(List<String> names) {
        return names.size() <= 3 ? String.join(", ", names) : String.join(", ", names.subList(0, 3)) + ", ...";
    }
}
