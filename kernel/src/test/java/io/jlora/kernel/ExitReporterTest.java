package io.jlora.kernel;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExitReporterTest {
    private static StackTraceElement frame(String cls, String method) {
        return new StackTraceElement(cls, method, cls.substring(cls.lastIndexOf('.') + 1) + ".java", 12);
    }

    @Test
    void namesTheLibraryFrameThatCalledSystemExit() {
        StackTraceElement[] exiting = {frame("java.lang.Object", "wait"), frame("java.lang.Shutdown", "exit"),
                frame("java.lang.Runtime", "exit"), frame("java.lang.System", "exit"), frame("com.example.Tool", "main"),
                frame("REPL.$JShell$12", "do_it$")};
        Optional<String> report = ExitReporter.describe(Map.of(new Thread("jlora-cell"), exiting,
                new Thread("other"), new StackTraceElement[]{frame("java.lang.Thread", "sleep")}));
        assertTrue(report.isPresent());
        assertTrue(report.get().contains("System.exit was called by com.example.Tool.main(Tool.java:12)"), report.get());
        assertTrue(report.get().contains("thread jlora-cell"), report.get());
    }

    @Test
    void reflectionFromACellIsNamedAsSuch() {
        StackTraceElement[] exiting = {frame("java.lang.Runtime", "exit"), frame("java.lang.System", "exit"),
                frame("jdk.internal.reflect.NativeMethodAccessorImpl", "invoke0"), frame("java.lang.reflect.Method", "invoke"),
                frame("REPL.$JShell$12", "do_it$")};
        assertTrue(ExitReporter.describe(Map.of(new Thread("jlora-cell"), exiting)).orElseThrow().contains("a cell (through reflection)"));
    }

    @Test
    void aSignalIsNoExitCall() {
        StackTraceElement[] sigterm = {frame("java.lang.Shutdown", "exit"), frame("java.lang.Terminator$1", "handle")};
        assertEquals(Optional.empty(), ExitReporter.describe(Map.of(new Thread("SIGTERM handler"), sigterm)));
    }
}
