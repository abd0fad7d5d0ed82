package io.jlora.kernel.execution;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;

import java.io.PrintStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Evaluates Java source with JShell in this JVM and turns what happens into {@link EvalResult}s:
 * the last expression's value as an object, compile diagnostics with the cell's line numbers, and
 * runtime exceptions with the cell's frames and without the kernel's.
 * Not thread-safe: one cell runs at a time, on the thread that calls {@link #eval}.
 */
public final class JShellEvaluator implements AutoCloseable {
    private static final String RED = "\u001B[31m", BOLD = "\u001B[1m", RESET = "\u001B[0m";

    private final KernelExecutionControl control = new KernelExecutionControl();
    private final JShell shell;
    private final SourceSplitter splitter;
    private final CodeAssist assist;
    /** Where each snippet came from, keyed by JShell's snippet id, for tracebacks through older cells. */
    private final java.util.Map<String, TraceFormatter.Origin> origins = new java.util.concurrent.ConcurrentHashMap<>();
    private String cellLabel = "cell";
    /**
     * Snippets already compiled, by source, so that running a cell again skips javac (tens of ms) and
     * calls the compiled code directly. Only expressions and statements are kept, and the whole cache is
     * dropped as soon as any declaration changes, since that may change what a snippet means.
     */
    private final java.util.Map<String, Compiled> compiled = new java.util.HashMap<>();

    private record Compiled(Snippet snippet, String className, TraceFormatter.Origin origin) {
    }

    /** A variable a cell declared: the static field {@code name} of the snippet class {@code className}. */
    private record DeclaredVar(String className, String name) {
    }

    /** The variables the cell being evaluated has declared so far. */
    private final List<DeclaredVar> declaredHere = new ArrayList<>();

    public JShellEvaluator(List<String> startupImports) {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        shell = JShell.builder()
                .executionEngine(new KernelExecutionControl.Provider(control), java.util.Map.of())
                .compilerOptions("-Xlint:none")
                .out(quiet).err(quiet)
                .build();
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        splitter = new SourceSplitter(analysis);
        assist = new CodeAssist(analysis, splitter);
        for (String line : startupImports) {
            for (SnippetEvent event : shell.eval(line)) {
                if (event.status() == Snippet.Status.REJECTED) {
                    throw new IllegalStateException("start-up snippet rejected: " + line + " " + diagnostics(event.snippet()));
                }
            }
        }
    }

    public CodeAssist assist() {
        return assist;
    }

    /** Adds a jar or folder to both the compiler's and the loader's class path. */
    public void addToClasspath(String path) {
        shell.addToClasspath(path);
    }

    /**
     * Evaluates Java code that starts on line {@code firstLine} of its cell. Stops at the first error.
     * Returns the value of the last snippet when it is an expression.
     */
    public EvalResult eval(String code, int firstLine, String cellLabel) {
        this.cellLabel = cellLabel;
        declaredHere.clear();
        EvalResult last = EvalResult.NONE;
        for (SourceSplitter.Piece piece : splitter.split(code, firstLine)) {
            last = evalPiece(piece);
            if (last instanceof EvalResult.Failure failure) {
                return OutOfMemoryAdvice.ENAME.equals(failure.ename()) ? afterOutOfMemory(failure) : failure;
            }
        }
        return last;
    }

    /**
     * A cell that ran out of memory most likely filled what it declared itself (a list it kept adding to):
     * those variables are set to null, so that the heap is usable again for the next cell. Variables of
     * earlier cells are kept: they may hold a model the user wants.
     */
    private EvalResult.Failure afterOutOfMemory(EvalResult.Failure failure) {
        List<String> cleared = new ArrayList<>();
        for (DeclaredVar variable : declaredHere) {
            if (control.clearVariable(variable.className(), variable.name())) cleared.add(variable.name());
        }
        declaredHere.clear();
        return OutOfMemoryAdvice.failure(failure.evalue(), failure.traceback(), cleared);
    }

    /**
     * Makes cell code stop at its next jump or call. The caller also interrupts the cell's thread,
     * which ends blocking calls such as sleep or wait.
     */
    public static void requestStop() {
        StopSignal.request();
    }

    /** Called before a cell starts, so that an interrupt aimed at the previous cell does not hit it. */
    public static void clearStop() {
        StopSignal.clear();
    }

    private EvalResult evalPiece(SourceSplitter.Piece piece) {
        if (!piece.completeness().isComplete()) {
            return compileFailure(piece, List.of("this code is not complete: " + describe(piece.completeness())));
        }
        Compiled cached = compiled.get(piece.source());
        if (cached != null && shell.status(cached.snippet()) == Snippet.Status.VALID) return rerun(cached);
        control.forgetLast();
        List<SnippetEvent> events = shell.eval(piece.source());
        // JShell reports a stopped snippet as if it had run: only the flag tells
        if (StopSignal.isRequested()) return interrupted();
        EvalResult result = EvalResult.NONE;
        for (SnippetEvent event : events) {
            Snippet snippet = event.snippet();
            if (event.causeSnippet() != null || !isRerunnable(snippet)) compiled.clear();
            if (event.causeSnippet() != null) continue; // updates of other snippets this one changed
            TraceFormatter.Origin origin = new TraceFormatter.Origin(cellLabel, piece.firstLine());
            origins.put(snippet.id(), origin);
            if (event.status() == Snippet.Status.REJECTED) {
                return compileFailure(piece, diagnostics(snippet).stream().map(d -> format(piece, d)).toList());
            }
            if (control.lastInvokedClass() != null) origins.put(control.lastInvokedClass(), origin);
            if (snippet instanceof jdk.jshell.VarSnippet variable && control.lastInvokedClass() != null) {
                declaredHere.add(new DeclaredVar(control.lastInvokedClass(), variable.name()));
            }
            if (event.exception() != null) return runtimeFailure(event.exception());
            if (showsValue(snippet) && event.value() != null) result = new EvalResult.Value(control.lastValue());
            if (isRerunnable(snippet) && event.status() == Snippet.Status.VALID && control.lastInvokedClass() != null) {
                compiled.put(piece.source(), new Compiled(snippet, control.lastInvokedClass(), origin));
            }
        }
        return result;
    }

    /** Runs an already compiled snippet again, as evaluating the same source would, without javac. */
    private EvalResult rerun(Compiled cached) {
        control.forgetLast();
        origins.put(cached.className(), new TraceFormatter.Origin(cellLabel, cached.origin().firstLine()));
        try {
            control.invoke(cached.className(), "do_it$");
        } catch (jdk.jshell.spi.ExecutionControl.StoppedException e) {
            return interrupted();
        } catch (jdk.jshell.spi.ExecutionControl.ExecutionControlException e) {
            Throwable real = control.lastThrowable();
            if (StopSignal.isRequested() && (real == null || real instanceof InterruptedException)) return interrupted();
            if (real == null) return new EvalResult.Failure(e.getClass().getSimpleName(), String.valueOf(e.getMessage()), List.of(String.valueOf(e.getMessage())));
            return new EvalResult.Failure(real.getClass().getSimpleName(), String.valueOf(TraceFormatter.cleanMessage(real.getMessage())),
                    new TraceFormatter(origins).format(real));
        }
        return showsValue(cached.snippet()) ? new EvalResult.Value(control.lastValue()) : EvalResult.NONE;
    }

    /** Expressions and statements can run again as they are; declarations define something new. */
    private static boolean isRerunnable(Snippet snippet) {
        return switch (snippet.kind()) {
            case EXPRESSION, STATEMENT -> true;
            case VAR -> snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
            default -> false;
        };
    }

    /** Expressions show their value; declarations and statements do not (as in IPython). */
    private static boolean showsValue(Snippet snippet) {
        return switch (snippet.subKind()) {
            case TEMP_VAR_EXPRESSION_SUBKIND, VAR_VALUE_SUBKIND, OTHER_EXPRESSION_SUBKIND -> true;
            default -> false;
        };
    }

    private List<Diag> diagnostics(Snippet snippet) {
        return shell.diagnostics(snippet).filter(Diag::isError).collect(Collectors.toList());
    }

    private String format(SourceSplitter.Piece piece, Diag diag) {
        String source = piece.source();
        int position = (int) Math.max(0, Math.min(diag.getStartPosition(), source.length()));
        int lineStart = source.lastIndexOf('\n', position - 1) + 1;
        int lineEnd = source.indexOf('\n', position);
        if (lineEnd < 0) lineEnd = source.length();
        int lineInPiece = (int) source.substring(0, lineStart).chars().filter(c -> c == '\n').count();
        String text = source.substring(lineStart, lineEnd);
        return BOLD + "cell line " + (piece.firstLine() + lineInPiece) + RESET + ": " + RED + "error: " + RESET
                + diag.getMessage(Locale.ROOT) + "\n    " + text + "\n    " + " ".repeat(Math.max(0, position - lineStart)) + "^";
    }

    private EvalResult compileFailure(SourceSplitter.Piece piece, List<String> messages) {
        String first = messages.isEmpty() ? "compilation failed" : messages.get(0).lines().findFirst().orElse("");
        return new EvalResult.Failure("CompilationException", stripAnsi(first), messages);
    }

    private EvalResult runtimeFailure(jdk.jshell.JShellException exception) {
        Throwable real = control.lastThrowable();
        if (StopSignal.isRequested() && (real == null || real instanceof InterruptedException)) {
            return interrupted();
        }
        if (exception instanceof UnresolvedReferenceException unresolved) {
            String name = unresolved.getSnippet().source().strip();
            return new EvalResult.Failure("UnresolvedReferenceException", "this uses a definition that is not complete: " + name,
                    List.of(RED + "UnresolvedReferenceException" + RESET + ": this uses a definition that is not complete:\n    " + name));
        }
        // JShell's EvalException carries the cell's stack with snippet ids and snippet lines
        return new EvalResult.Failure(simpleName(TraceFormatter.className(exception)),
                String.valueOf(TraceFormatter.cleanMessage(exception.getMessage())), new TraceFormatter(origins).format(exception));
    }

    static EvalResult.Failure interrupted() {
        return new EvalResult.Failure("InterruptedException", "interrupted by the user",
                List.of(RED + "InterruptedException" + RESET + ": the cell was interrupted by the user"));
    }

    private static String describe(SourceCodeAnalysis.Completeness completeness) {
        return switch (completeness) {
            case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> "a statement or block is not closed";
            case UNKNOWN -> "it cannot be parsed";
            default -> completeness.name().toLowerCase(Locale.ROOT);
        };
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    static String stripAnsi(String text) {
        return text.replaceAll("\u001B\\[[0-9;]*m", "");
    }

    @Override
    public void close() {
        shell.close();
    }
}
