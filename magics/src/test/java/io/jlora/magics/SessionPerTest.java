package io.jlora.magics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.magics.commands.CommandRunner;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Command tests that need a fresh session (and temp folder) per test: the session, and the CLI runner over it. */
abstract class SessionPerTest {
    static final Path GOLDEN = CommandSurfaceTest.GOLDEN;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    LoraSession session;

    @BeforeEach
    void open() {
        session = new LoraSession();
    }

    @AfterEach
    void close() {
        session.close();
    }

    /** Runs one CLI command line in the session. */
    CommandResult run(List<String> words) throws Exception {
        return new CommandRunner(session, "jlora", true).run(words).result();
    }

    CommandResult run(String... words) throws Exception {
        return run(List.of(words));
    }
}
