package io.jlora.magics.commands;

import io.jlora.data.DataFormat;
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

    @Option(names = {"--file", "--data"}, paramLabel = "F", description = "dataset file (default: the session's, from 'data')")
    Path file;

    @Option(names = "--max-seq-length", description = "with --file (default 512)")
    Integer maxSeqLength;

    @Option(names = "--eval-split", description = "with --file (default 0.0)")
    Double evalSplit;

    @Mixin
    ChatTemplateOptions chat;

    /** Whether a file was given here (else the session's dataset applies). */
    boolean given() {
        return file != null;
    }

    /** How to tokenize the given file; the eval split drawn with {@code seed}. */
    TokenizeOptions tokenizeOptions(long seed) {
        try {
            return TokenizeOptions.defaults().withMaxSeqLength(maxSeqLength != null ? maxSeqLength : 512)
                    .withEvalSplit(evalSplit != null ? evalSplit : 0.0).withSeed(seed).withChat(chat.renderOptions());
        } catch (IllegalArgumentException e) {
            throw new CommandRunner.UsageException(e.getMessage());
        }
    }

    /** Loads the given file into the session, as {@code data --file} would. */
    void loadInto(LoraSession session, long seed) {
        session.setData(Dataset.load(file, DataFormat.auto()), tokenizeOptions(seed));
    }
}
