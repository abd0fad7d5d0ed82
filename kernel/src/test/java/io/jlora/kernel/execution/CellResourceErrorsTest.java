package io.jlora.kernel.execution;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exit calls and out-of-memory errors in cells: the cell fails with a clear report, the JVM lives on. */
class CellResourceErrorsTest {
    static JShellEvaluator evaluator;

    @BeforeAll
    static void start() {
        evaluator = new JShellEvaluator(List.of("import java.util.*;", "import java.util.function.*;"));
    }

    @AfterAll
    static void stop() {
        evaluator.close();
    }

    // If any of these calls got through, the test JVM would end and Surefire would report it crashed.
    @Test
    void systemExitInACellIsRefused() {
        EvalResult.Failure failure = fail("System.exit(3);");
        assertEquals("ExitCalledInCell", failure.ename());
        assertEquals("System.exit(3) called in a cell: the kernel stays up; use the Restart command to restart it", failure.evalue());
        String trace = String.join("\n", failure.traceback());
        assertFalse(trace.contains("at io.jlora"), "the kernel's redirect frames are not the user's business:\n" + trace);
        assertTrue(JShellEvaluator.stripAnsi(failure.traceback().get(1)).contains("<cell> (c, line 1)"), "the user's call comes first:\n" + trace);
    }

    @Test
    void runtimeExitAndHaltAreRefused() {
        assertTrue(fail("Runtime.getRuntime().exit(4);").evalue().startsWith("Runtime.exit(4) called in a cell"));
        assertTrue(fail("Runtime.getRuntime().halt(5);").evalue().startsWith("Runtime.halt(5) called in a cell"));
    }

    @Test
    void exitThroughMethodReferencesLambdasAndClassesIsRefused() {
        assertTrue(fail("IntConsumer quit = System::exit;\nquit.accept(6);").evalue().startsWith("System.exit(6)"));
        assertTrue(fail("IntConsumer halt = Runtime.getRuntime()::halt;\nhalt.accept(7);").evalue().startsWith("Runtime.halt(7)"));
        assertTrue(fail("Runnable r = () -> System.exit(8);\nr.run();").evalue().startsWith("System.exit(8)"));
        assertTrue(fail("class Quitter { void quit() { System.exit(9); } }\nnew Quitter().quit();").evalue().startsWith("System.exit(9)"));
    }

    @Test
    void aCellCanCatchTheRefusalAndGoOn() {
        EvalResult result = evaluator.eval("String caught;\ntry { System.exit(1); caught = \"no\"; } catch (RuntimeException e) { caught = \"yes\"; }\ncaught", 1, "c");
        assertEquals("yes", assertInstanceOf(EvalResult.Value.class, result).value());
    }

    @Test
    void anArrayTooLargeForJavaIsReportedWithAdvice() {
        EvalResult.Failure failure = fail("long[] huge = new long[Integer.MAX_VALUE];");
        assertEquals("OutOfMemoryError", failure.ename());
        String trace = String.join("\n", failure.traceback());
        assertTrue(trace.contains("still running") && trace.contains("2^31"), trace);
        assertInstanceOf(EvalResult.Value.class, evaluator.eval("1 + 1", 1, "c"));
    }

    @Test
    void outOfMemoryClearsTheVariablesOfTheFailingCellOnly() {
        evaluator.eval("int[] earlier = new int[10];", 1, "c1");
        EvalResult.Failure failure = fail("int[] mine = new int[1000];\nint count = 3;\nif (mine.length > 0) throw new OutOfMemoryError(\"Java heap space\");");
        assertEquals("OutOfMemoryError", failure.ename());
        assertTrue(failure.evalue().startsWith("Java heap space"), failure.evalue());
        String trace = String.join("\n", failure.traceback());
        assertTrue(trace.contains("set to null to free their memory: mine."), trace);
        assertTrue(trace.contains("-Xmx") && trace.contains("--jvm-option"), trace);
        assertEquals(true, value("mine == null"));
        assertEquals(3, value("count"), "primitives hold no heap and are kept");
        assertEquals(10, value("earlier.length"), "earlier cells' variables are kept");
    }

    @Test
    void endlessRecursionIsReportedAndTheEvaluatorGoesOn() {
        EvalResult.Failure failure = fail("int deeper(int n) { return deeper(n + 1) + 1; }\ndeeper(0)");
        assertEquals("StackOverflowError", failure.ename());
        assertEquals(4, value("2 + 2"));
    }

    @Test
    void jshellKeepsOnlyAShortTextOfLargeValues() {
        assertEquals("long[20000000]", KernelExecutionControl.shortValueString(new long[20_000_000]));
        assertEquals("String[][2]", KernelExecutionControl.shortValueString(new String[2][3]));
        assertEquals("\"" + "x".repeat(10_000) + "\"...", KernelExecutionControl.shortValueString("x".repeat(50_000)));
        assertEquals("[1, 2]", KernelExecutionControl.shortValueString(List.of(1, 2)));
        assertEquals("\"a\"", KernelExecutionControl.shortValueString("a"));
    }

    @Test
    void adviceNamesTheHeapLimit() {
        String text = String.join("\n", OutOfMemoryAdvice.advice("Java heap space", List.of(), 512L << 20));
        assertTrue(text.contains("limited to 512 MiB (-Xmx)") && text.contains("install-kernel --jvm-option -Xmx8g"), text);
    }

    private static Object value(String code) {
        return assertInstanceOf(EvalResult.Value.class, evaluator.eval(code, 1, "c")).value();
    }

    private static EvalResult.Failure fail(String code) {
        return assertInstanceOf(EvalResult.Failure.class, evaluator.eval(code, 1, "c"));
    }
}
