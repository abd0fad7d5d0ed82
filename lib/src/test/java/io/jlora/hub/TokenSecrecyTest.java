package io.jlora.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token appears nowhere a person or a log collector could read it: not in any log record of
 * the hub package (at every level), not on System.out or System.err, not in exception messages,
 * during a push that works and during pushes that fail at each step.
 */
class TokenSecrecyTest {

    private static final String TOKEN = HubClientTest.TOKEN;

    @TempDir
    Path tmp;

    /** Collects every record at every level, formatted with its parameters. */
    private static final class Collect extends Handler {
        final List<String> lines = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord r) {
            lines.add(r.getLevel() + " " + new java.util.logging.SimpleFormatter().formatMessage(r)
                    + (r.getThrown() == null ? "" : " " + r.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void theTokenIsInNoLogNoStreamAndNoMessage() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("model"));
        List<Path> files = List.of(Files.writeString(folder.resolve("config.json"), "{}"),
                Files.write(folder.resolve("model.safetensors"), new byte[4096]));
        Logger logger = Logger.getLogger("io.jlora.hub");
        Level before = logger.getLevel();
        Collect logs = new Collect();
        logs.setLevel(Level.ALL);
        logger.setLevel(Level.ALL);
        logger.addHandler(logs);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8);
        List<String> messages = new ArrayList<>();
        System.setOut(capture);
        System.setErr(capture);
        try {
            try (FakeHub hub = new FakeHub(TOKEN)) {
                HubClient client = HubClient.create(HubEndpoint.of(hub.url()), HubToken.of(TOKEN));
                client.push(RepoId.parse("user/ok"), folder, files, "s", "d");
                assertEquals(List.of(), hub.problems());
            }
            for (String step : List.of("create", "preupload", "batch", "put", "verify", "commit")) {
                try (FakeHub hub = new FakeHub(TOKEN).failing(step, 403)) {
                    HubClient client = HubClient.create(HubEndpoint.of(hub.url()), HubToken.of(TOKEN));
                    HubException e = assertThrows(HubException.class,
                            () -> client.push(RepoId.parse("user/" + step), folder, files, "s", "d"), step);
                    messages.add(e.getMessage());
                    messages.add(e.toString());
                }
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
            logger.removeHandler(logs);
            logger.setLevel(before);
        }
        assertTrue(logs.lines.stream().anyMatch(l -> l.startsWith("FINE POST")), "FINE records were captured: " + logs.lines);
        assertTrue(logs.lines.stream().anyMatch(l -> l.contains("pushed 2 file(s)")), logs.lines.toString());
        for (String line : logs.lines) {
            assertFalse(line.contains(TOKEN), line);
        }
        assertFalse(printed.toString(StandardCharsets.UTF_8).contains(TOKEN));
        assertEquals(12, messages.size());
        for (String m : messages) {
            assertTrue(m.contains("failed: 403 Forbidden"), m);
            assertFalse(m.contains(TOKEN), m);
        }
    }

    @Test
    void aTokenWithAnUnprintableCharacterIsRefusedWithoutQuotingIt() {
        String bad = "hf_Secret\nInjected";
        io.jlora.JloraException e = assertThrows(io.jlora.JloraException.class, () -> HubToken.of(bad));
        assertFalse(e.getMessage().contains("Secret"), e.getMessage());
    }
}
