package io.jlora.kernel.execution;

import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

import java.lang.reflect.Method;
import java.util.Map;

/**
 * Runs snippets directly in the kernel's JVM, on the thread that calls {@code JShell.eval}, so that
 * cell code, magics and native libraries (DJL's libtorch) share one process and one set of objects.
 * Adds four things to JShell's direct engine: stoppable cell code whose exit calls are refused, the value
 * object of the last expression (for rich display), the real exception thrown by a cell (for a readable
 * traceback), and the clearing of a variable (to free what a cell that ran out of memory held).
 */
final class KernelExecutionControl extends DirectExecutionControl {
    private Object lastValue;
    private Throwable lastThrowable;
    private String lastInvokedClass;

    @Override
    public String invoke(String className, String methodName) throws RunException, EngineTerminationException, InternalException {
        lastInvokedClass = className;
        return super.invoke(className, methodName);
    }

    String lastInvokedClass() {
        return lastInvokedClass;
    }

    @Override
    public void load(ClassBytecodes[] classes) throws ClassInstallException, NotImplementedException, EngineTerminationException {
        ClassBytecodes[] instrumented = new ClassBytecodes[classes.length];
        for (int i = 0; i < classes.length; i++) {
            byte[] stoppable = InterruptInstrumenter.instrument(classes[i].bytecodes());
            instrumented[i] = new ClassBytecodes(classes[i].name(), ExitCallRedirector.redirect(stoppable));
        }
        super.load(instrumented);
    }

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        Object value = doitMethod.invoke(null);
        lastValue = value;
        return shortValueString(value);
    }

    @Override
    public String varValue(String className, String varName) throws RunException, EngineTerminationException, InternalException {
        try {
            java.lang.reflect.Field field = findClass(className).getDeclaredField(varName);
            field.setAccessible(true);
            return shortValueString(field.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return super.varValue(className, varName);
        }
    }

    /**
     * The text JShell keeps for a value. The kernel shows values from the objects themselves, so JShell
     * needs only a token of it; its own rendering writes out every element of an array, which for
     * {@code long[] big = new long[20_000_000]} is a 60-million-character string, enough to fill a heap.
     */
    static String shortValueString(Object value) {
        if (value != null && value.getClass().isArray()) {
            String type = value.getClass().getComponentType().getSimpleName();
            return type + "[" + java.lang.reflect.Array.getLength(value) + "]";
        }
        if (value instanceof CharSequence text && text.length() > MAX_TEXT) {
            return valueString(text.subSequence(0, MAX_TEXT).toString()) + "...";
        }
        return valueString(value);
    }

    private static final int MAX_TEXT = 10_000;

    @Override
    protected String throwConvertedInvocationException(Throwable cause) throws RunException, InternalException {
        if (cause instanceof CellInterrupted) throw new StoppedException();
        lastThrowable = cause;
        return super.throwConvertedInvocationException(cause);
    }

    @Override
    public void stop() {
        StopSignal.request();
    }

    /**
     * Sets a cell variable (a static field of its snippet's class) to null, so that what it referenced can
     * be collected. Primitive variables hold no heap and are left alone. True when the variable was cleared.
     */
    boolean clearVariable(String className, String name) {
        try {
            java.lang.reflect.Field field = findClass(className).getDeclaredField(name);
            if (field.getType().isPrimitive()) return false;
            field.setAccessible(true);
            field.set(null, null);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    void forgetLast() {
        lastValue = null;
        lastThrowable = null;
        lastInvokedClass = null;
    }

    Object lastValue() {
        return lastValue;
    }

    Throwable lastThrowable() {
        return lastThrowable;
    }

    /** Hands JShell the one control instance the evaluator also holds. */
    record Provider(KernelExecutionControl control) implements ExecutionControlProvider {
        @Override
        public String name() {
            return "jlora-direct";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return control;
        }
    }
}
