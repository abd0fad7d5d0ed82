package io.jlora.magics.commands;

import io.jlora.data.Dataset;
import io.jlora.data.TokenizeOptions;
import io.jlora.magics.LoraSession;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The dataset options of commands that run a whole job in one go ({@code train} and {@code dpo} on
 * the command line, {@code compare}): a file and how to cut it, else the session's dataset from
 * an earlier {@code data} command. Unset values take {@code data}'s defaults.
 */
final class OneShotDataOptions {

    @Option(names = {"--file", "--data"}, paramLabel = "FILE", description = "dataset file, .jsonl, .json or .csv (default: the session's, from 'data')")
    Path file;

    @Mixin
    DataColumns columns;

    @Option(names = "--max-seq-length", paramLabel = "N", description = "with --file: longer examples are cut (default 512)")
    Integer maxSeqLength;

    @Option(names = "--eval-split", paramLabel = "FRACTION", description = "with --file: fraction held out for evaluation (default 0.0)")
    Double evalSplit;

    @Mixin
    LossOptions loss = new LossOptions();

    @Mixin
    ChatTemplateOptions chat;

    /** Whether a file was given here (else the session's dataset applies). */
    boolean given() {
        return file != null;
    }

    /** How to tokenize the given file; the eval split drawn with {@code seed}. */
    TokenizeOptions tokenizeOptions(long seed) {
        try {
            return loss.apply(TokenizeOptions.defaults().withMaxSeqLength(maxSeqLength != null ? maxSeqLength : 512)
                    .withEvalSplit(evalSplit != null ? evalSplit : 0.0).withSeed(seed).withChat(chat.renderOptions()));
        } catch (IllegalArgumentException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
    }

    /** The given file, read as the column options say. */
    Dataset load() {
        return Dataset.load(file, columns.format());
    }

    /** Loads the given file into the session, as {@code data --file} would. */
    void loadInto(LoraSession session, long seed) {
        session.setData(load(), tokenizeOptions(seed));
    }
}
