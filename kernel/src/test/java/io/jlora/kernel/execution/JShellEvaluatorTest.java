package io.jlora.kernel.execution;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JShellEvaluatorTest {
    static JShellEvaluator evaluator;

    @BeforeAll
    static void start() {
        evaluator = new JShellEvaluator(List.of("import java.util.*;"));
    }

    @AfterAll
    static void stop() {
        evaluator.close();
    }

    @Test
    void lastExpressionIsTheValueObject() {
        EvalResult result = evaluator.eval("int a = 20;\nList.of(a, a + 1)", 1, "cell [1]");
        EvalResult.Value value = assertInstanceOf(EvalResult.Value.class, result);
        assertEquals(List.of(20, 21), value.value());
    }

    @Test
    void declarationsAndStatementsShowNothing() {
        assertInstanceOf(EvalResult.NoValue.class, evaluator.eval("int b = 3;", 1, "c"));
        assertInstanceOf(EvalResult.NoValue.class, evaluator.eval("b = 4;", 1, "c"));
    }

    @Test
    void compileErrorNamesTheCellLine() {
        EvalResult.Failure failure = assertInstanceOf(EvalResult.Failure.class,
                evaluator.eval("int ok = 1;\n\nint bad = \"text\";", 1, "cell [2]"));
        assertEquals("CompilationException", failure.ename());
        String text = JShellEvaluator.stripAnsi(String.join("\n", failure.traceback()));
        assertTrue(text.contains("cell line 3"), text);
        assertTrue(text.contains("incompatible types"), text);
    }

    @Test
    void runtimeErrorShowsCellFramesAndNoKernelFrames() {
        evaluator.eval("void boom() {\n  throw new IllegalStateException(\"bad state\");\n}", 1, "cell [3]");
        EvalResult.Failure failure = assertInstanceOf(EvalResult.Failure.class, evaluator.eval("int x = 1;\nboom();", 1, "cell [4]"));
        assertEquals("IllegalStateException", failure.ename());
        assertEquals("bad state", failure.evalue());
        String text = JShellEvaluator.stripAnsi(String.join("\n", failure.traceback()));
        assertTrue(text.contains("boom (cell [3], line 2)"), text);
        assertTrue(text.contains("<cell> (cell [4], line 2)"), text);
        assertTrue(!text.contains("jdk.jshell") && !text.contains("io.jlora.kernel") && !text.contains("reflect"), text);
    }

    @Test
    void rerunningACellRunsItAgainWithoutRecompiling() {
        evaluator.eval("int counter = 0;", 1, "c");
        for (int i = 1; i <= 3; i++) {
            EvalResult.Value v = assertInstanceOf(EvalResult.Value.class, evaluator.eval("++counter", 1, "c"));
            assertEquals(i, v.value());
        }
        // a new declaration changes what the same source means
        evaluator.eval("String counter = \"s\";", 1, "c");
        EvalResult.Failure f = assertInstanceOf(EvalResult.Failure.class, evaluator.eval("++counter", 1, "c"));
        assertEquals("CompilationException", f.ename());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void interruptStopsABusyLoopAndABlockingCall() throws Exception {
        for (String code : List.of("while (true) {}", "Thread.sleep(100_000);", "long n = 0; for (;;) { n++; }")) {
            Thread runner = Thread.currentThread();
            CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ignored) {
                }
                JShellEvaluator.requestStop();
                runner.interrupt();
            });
            long start = System.nanoTime();
            EvalResult.Failure failure = assertInstanceOf(EvalResult.Failure.class, evaluator.eval(code, 1, "c"), code);
            JShellEvaluator.clearStop();
            Thread.interrupted();
            assertEquals("InterruptedException", failure.ename(), code);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), code);
            assertInstanceOf(EvalResult.Value.class, evaluator.eval("1 + 1", 1, "c"));
        }
    }
}
