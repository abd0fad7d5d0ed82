package io.jlora.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.jlora.kernel.execution.CodeAssist;
import io.jlora.kernel.execution.EvalResult;
import io.jlora.kernel.execution.JShellEvaluator;
import io.jlora.kernel.execution.OutOfMemoryAdvice;
import io.jlora.kernel.magic.BuiltinMagics;
import io.jlora.kernel.magic.CellParts;
import io.jlora.kernel.magic.MagicException;
import io.jlora.kernel.magic.MagicProvider;
import io.jlora.kernel.magic.MagicRegistry;
import io.jlora.kernel.protocol.KernelSockets;
import io.jlora.kernel.protocol.Message;
import io.jlora.kernel.runtime.Notebook;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Jupyter kernel: answers shell and control requests, runs cells on one thread of their own and
 * publishes what they print and display. Java evaluation is {@link JShellEvaluator}'s job, the wire is
 * {@link KernelSockets}'s; this class only wires requests to them.
 */
public final class JloraKernel {
    private static final Logger LOG = Logger.getLogger(JloraKernel.class.getName());
    static final String VERSION = "0.1.0";

    private final KernelSockets sockets;
    private final MagicRegistry magics = new MagicRegistry();
    private final MimeBundles bundles = new MimeBundles();
    private final History history;
    private final ExecutorService cellThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jlora-cell");
        t.setDaemon(true);
        return t;
    });
    /** JShell takes a second to start: it is built in the background so that kernel_info answers at once. */
    private final Future<JShellEvaluator> evaluator;
    private final AtomicInteger executionCount = new AtomicInteger();
    private final StreamPublisher stdout = new StreamPublisher("stdout", this::publishStream);
    private final StreamPublisher stderr = new StreamPublisher("stderr", this::publishStream);
    /** The execute_request whose cell is running (or ran last): the parent of what cells print. */
    private volatile Message currentRequest;
    private volatile Thread cellRunner;
    private volatile boolean interrupted;
    private volatile boolean cellInFlight;
    /** Display ids handed out during the running cell: {@code display(x)} returns one, and it is not echoed. */
    private final java.util.Set<String> issuedDisplayIds = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public JloraKernel(KernelSockets sockets, History history) {
        this.sockets = sockets;
        this.history = history;
        List<MagicProvider> providers = magicProviders();
        List<String> imports = startupImports(providers);
        this.evaluator = cellThread.submit(() -> new JShellEvaluator(imports));
        BuiltinMagics.register(magics, path -> evaluator().addToClasspath(path));
        providers.forEach(p -> p.register(magics));
    }

    static List<MagicProvider> magicProviders() {
        List<MagicProvider> providers = new ArrayList<>();
        ServiceLoader.load(MagicProvider.class).forEach(providers::add);
        return providers;
    }

    /** What every cell can use without importing it: common JDK packages, the display helpers, the magics' helpers. */
    static List<String> startupImports(List<MagicProvider> providers) {
        List<String> imports = new ArrayList<>(List.of(
                "import java.util.*;", "import java.util.stream.*;", "import java.nio.file.*;",
                "import static io.jlora.kernel.runtime.Display.*;"));
        providers.forEach(p -> imports.addAll(p.imports()));
        return imports;
    }

    StreamPublisher stdoutStream() {
        return stdout;
    }

    StreamPublisher stderrStream() {
        return stderr;
    }

    /** Starts serving; also makes {@link Notebook#current()} this kernel. */
    public void start() {
        Notebook.install(new KernelNotebook());
        sockets.start(this::onShell, this::onControl);
        sockets.publish(Message.broadcastWithoutParent("status", status("starting"), history.session() + ""));
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jlora-output-flush");
            t.setDaemon(true);
            return t;
        }).scheduleWithFixedDelay(this::flushStreamsSafely, 50, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Stops the running cell: a kernel interrupt, by message or by SIGINT. */
    public void interrupt() {
        if (!cellInFlight) return;
        interrupted = true; // a cell still waiting for JShell to start sees this before it runs
        Thread runner = cellRunner;
        if (runner == null) return;
        JShellEvaluator.requestStop();
        runner.interrupt();
    }

    /** A line typed by the user for the running cell, or null when its front end allows no input. */
    String readInputLine() throws InterruptedException {
        Message parent = currentRequest;
        if (parent == null || !bool(parent.content(), "allow_stdin", false)) return null;
        flushStreams();
        return sockets.stdin().ask(parent, "", false);
    }

    // ---- requests ---------------------------------------------------------------------------

    private void onShell(Message request, KernelSockets.Replier shellReplier) {
        busy(request, shellReplier, replier -> {
            switch (request.type()) {
                case "execute_request" -> execute(request, replier);
                case "kernel_info_request" -> replier.send(request.reply("kernel_info_reply", KernelInfo.content()));
                case "complete_request" -> replier.send(request.reply("complete_reply", complete(request.content())));
                case "inspect_request" -> replier.send(request.reply("inspect_reply", inspect(request.content())));
                case "is_complete_request" -> replier.send(request.reply("is_complete_reply", isComplete(request.content())));
                case "history_request" -> replier.send(request.reply("history_reply", historyReply(request.content())));
                case "comm_info_request" -> replier.send(request.reply("comm_info_reply", commInfo()));
                case "shutdown_request" -> shutdown(request, replier);
                case "interrupt_request" -> {
                    interrupt();
                    replier.send(request.reply("interrupt_reply", ok()));
                }
                default -> LOG.fine(() -> "ignored " + request.type());
            }
        });
    }

    private void onControl(Message request, KernelSockets.Replier controlReplier) {
        busy(request, controlReplier, replier -> {
            switch (request.type()) {
                case "interrupt_request" -> {
                    interrupt();
                    replier.send(request.reply("interrupt_reply", ok()));
                }
                case "shutdown_request" -> shutdown(request, replier);
                case "kernel_info_request" -> replier.send(request.reply("kernel_info_reply", KernelInfo.content()));
                default -> LOG.fine(() -> "ignored " + request.type() + " on control");
            }
        });
    }

    /**
     * Runs a request between busy and idle. Idle is published, and everything on IOPub handed to
     * ZeroMQ, before the reply leaves: a client that waits for the reply and then reads IOPub (as
     * the conformance suite does, 0.1 s per message) finds the whole output there, however loaded
     * the machine is.
     */
    private void busy(Message request, KernelSockets.Replier replier, java.util.function.Consumer<KernelSockets.Replier> work) {
        sockets.publish(request.broadcast("status", status("busy")));
        boolean[] idle = {false};
        KernelSockets.Replier idleFirst = reply -> {
            if (!idle[0]) {
                idle[0] = true;
                sockets.publish(request.broadcast("status", status("idle")));
                sockets.drainIopub(2000);
            }
            replier.send(reply);
        };
        try {
            work.accept(idleFirst);
        } finally {
            if (!idle[0]) sockets.publish(request.broadcast("status", status("idle")));
        }
    }

    private void execute(Message request, KernelSockets.Replier replier) {
        JsonObject content = request.content();
        String code = content.has("code") ? content.get("code").getAsString() : "";
        boolean silent = bool(content, "silent", false);
        boolean storeHistory = bool(content, "store_history", !silent);
        int count = storeHistory ? executionCount.incrementAndGet() : executionCount.get();
        if (!silent) {
            JsonObject input = new JsonObject();
            input.addProperty("code", code);
            input.addProperty("execution_count", count);
            sockets.publish(request.broadcast("execute_input", input));
        }
        currentRequest = request;
        interrupted = false;
        cellInFlight = true;
        EvalResult result;
        try {
            result = cellThread.submit(() -> runCell(code, count)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result = new EvalResult.Failure("InterruptedException", "the kernel is shutting down", List.of());
        } catch (ExecutionException e) {
            LOG.log(Level.SEVERE, "cell failed inside the kernel", e.getCause());
            result = e.getCause() instanceof OutOfMemoryError oom
                    ? OutOfMemoryAdvice.failure(String.valueOf(oom.getMessage()), List.of(), List.of())
                    : new EvalResult.Failure(e.getCause().getClass().getSimpleName(), String.valueOf(e.getCause().getMessage()), List.of(e.getCause().toString()));
        } finally {
            cellInFlight = false;
        }
        flushStreams();

        String outputText = null;
        JsonObject reply = new JsonObject();
        if (result instanceof EvalResult.Failure failure) {
            JsonObject error = new JsonObject();
            error.addProperty("ename", failure.ename());
            error.addProperty("evalue", failure.evalue());
            JsonArray traceback = new JsonArray();
            failure.traceback().forEach(traceback::add);
            error.add("traceback", traceback);
            if (!silent) sockets.publish(request.broadcast("error", error.deepCopy()));
            reply = error;
            reply.addProperty("status", "error");
        } else {
            if (result instanceof EvalResult.Value value && !silent && !isNotWorthAnOut(value.value())) {
                JsonObject bundle = render(value.value(), null);
                bundle.remove("transient");
                bundle.addProperty("execution_count", count);
                sockets.publish(request.broadcast("execute_result", bundle));
                JsonObject data = bundle.getAsJsonObject("data");
                if (data.has("text/plain")) outputText = data.get("text/plain").getAsString();
            }
            reply.addProperty("status", "ok");
            reply.add("payload", new JsonArray());
            reply.add("user_expressions", new JsonObject());
        }
        reply.addProperty("execution_count", count);
        if (storeHistory) history.add(count, code, outputText);
        replier.send(request.reply("execute_reply", reply));
    }

    /**
     * Values that are not worth an Out: a display id that display() returned, and the output streams
     * themselves, which {@code System.out.printf(...)} returns.
     */
    private boolean isNotWorthAnOut(Object value) {
        return value instanceof String id && issuedDisplayIds.contains(id) || value == System.out || value == System.err;
    }

    /** Runs on the cell thread: the parts of a cell in order, stopping at the first error. */
    private EvalResult runCell(String code, int count) {
        issuedDisplayIds.clear();
        JShellEvaluator.clearStop();
        Thread.interrupted();
        cellRunner = Thread.currentThread();
        try {
            if (interrupted) return interruptedFailure();
            EvalResult last = EvalResult.NONE;
            for (CellParts.Part part : CellParts.split(code)) {
                last = runPart(part, count);
                if (interrupted) return interruptedFailure();
                if (last instanceof EvalResult.Failure) return last;
            }
            return last;
        } finally {
            cellRunner = null;
            JShellEvaluator.clearStop();
            Thread.interrupted();
            System.out.flush();
            System.err.flush();
        }
    }

    private EvalResult runPart(CellParts.Part part, int count) {
        if (part instanceof CellParts.Java java) {
            return evaluator().eval(java.code(), java.firstLine(), "cell [" + count + "]");
        }
        try {
            Object value;
            if (part instanceof CellParts.LineCall call) {
                value = magics.line(call.name()).orElseThrow(() -> unknownMagic("%" + call.name())).run(call.args());
            } else {
                CellParts.CellCall call = (CellParts.CellCall) part;
                value = magics.cell(call.name()).orElseThrow(() -> unknownMagic("%%" + call.name())).run(call.args(), call.body());
            }
            return value == null ? EvalResult.NONE : new EvalResult.Value(value);
        } catch (InterruptedException e) {
            return interruptedFailure();
        } catch (MagicException e) {
            return new EvalResult.Failure("MagicError", e.getMessage(), List.of("\u001B[31mMagicError\u001B[0m: " + e.getMessage()));
        } catch (OutOfMemoryError e) {
            return OutOfMemoryAdvice.failure(String.valueOf(e.getMessage()), List.of(), List.of());
        } catch (Exception | Error e) {
            if (interrupted) return interruptedFailure();
            String message = e.getClass().getSimpleName() + ": " + e.getMessage();
            return new EvalResult.Failure(e.getClass().getSimpleName(), String.valueOf(e.getMessage()), List.of("\u001B[31m" + message + "\u001B[0m"));
        }
    }

    private MagicException unknownMagic(String name) {
        return new MagicException("unknown magic " + name + " (%lsmagic lists them)");
    }

    private static EvalResult interruptedFailure() {
        return new EvalResult.Failure("InterruptedException", "interrupted by the user",
                List.of("\u001B[31mInterruptedException\u001B[0m: the cell was interrupted by the user"));
    }

    private JsonObject complete(JsonObject content) {
        String code = content.get("code").getAsString();
        int cursor = Math.min(code.length(), content.has("cursor_pos") ? content.get("cursor_pos").getAsInt() : code.length());
        JsonObject reply = ok();
        JsonArray matches = new JsonArray();
        int start = cursor, end = cursor;
        Optional<String> magicPrefix = magicPrefix(code, cursor);
        if (magicPrefix.isPresent()) {
            String typed = magicPrefix.get();
            for (String name : magics.lineNames()) if (name.startsWith(typed)) matches.add("%" + name);
            start = cursor - typed.length() - 1;
        } else {
            CodeAssist.Completions completions = evaluator().assist().complete(code, cursor);
            completions.matches().forEach(matches::add);
            start = completions.start();
            end = completions.end();
        }
        reply.add("matches", matches);
        reply.addProperty("cursor_start", start);
        reply.addProperty("cursor_end", end);
        reply.add("metadata", new JsonObject());
        return reply;
    }

    /** The name typed so far when the cursor sits in a {@code %name} at the start of a line. */
    private static Optional<String> magicPrefix(String code, int cursor) {
        int lineStart = code.lastIndexOf('\n', cursor - 1) + 1;
        String line = code.substring(lineStart, cursor).stripLeading();
        if (line.startsWith("%") && line.substring(1).chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-' || c == '_')) {
            return Optional.of(line.substring(1).replaceFirst("^%", ""));
        }
        return Optional.empty();
    }

    private JsonObject inspect(JsonObject content) {
        String code = content.get("code").getAsString();
        int cursor = Math.min(code.length(), content.has("cursor_pos") ? content.get("cursor_pos").getAsInt() : code.length());
        CodeAssist.Inspection inspection = evaluator().assist().inspect(code, cursor);
        JsonObject reply = ok();
        reply.addProperty("found", inspection.found());
        JsonObject data = new JsonObject();
        if (inspection.found()) {
            String text = inspection.javadoc().isEmpty() ? inspection.signatures() : inspection.javadoc();
            data.addProperty("text/plain", text);
        }
        reply.add("data", data);
        reply.add("metadata", new JsonObject());
        return reply;
    }

    private JsonObject isComplete(JsonObject content) {
        String code = content.get("code").getAsString();
        JsonObject reply = new JsonObject();
        boolean onlyMagics = !code.isBlank() && CellParts.split(code).stream().noneMatch(p -> p instanceof CellParts.Java);
        CodeAssist.Readiness readiness = onlyMagics ? new CodeAssist.Readiness("complete", "") : evaluator().assist().isComplete(code);
        reply.addProperty("status", readiness.status());
        if ("incomplete".equals(readiness.status())) reply.addProperty("indent", readiness.indent());
        return reply;
    }

    private JsonObject historyReply(JsonObject content) {
        JsonObject reply = ok();
        reply.add("history", history.query(content));
        return reply;
    }

    private static JsonObject commInfo() {
        JsonObject reply = ok();
        reply.add("comms", new JsonObject());
        return reply;
    }

    private void shutdown(Message request, KernelSockets.Replier replier) {
        JsonObject reply = ok();
        reply.addProperty("restart", bool(request.content(), "restart", false));
        replier.send(request.reply("shutdown_reply", reply));
        sockets.publish(request.broadcast("shutdown_reply", reply.deepCopy()));
        interrupt();
        Thread exit = new Thread(() -> {
            sockets.drainIopub(500);
            sockets.close();
            Runtime.getRuntime().halt(0);
        }, "jlora-shutdown");
        exit.start();
    }

    // ---- output ---------------------------------------------------------------------------

    private JShellEvaluator evaluator() {
        try {
            return evaluator.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while JShell starts", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("JShell failed to start: " + e.getCause(), e.getCause());
        }
    }

    /**
     * The periodic flush: a scheduled task that throws is never run again, so an allocation failure
     * while a cell fills the heap must not escape, or the output of every later cell would stall.
     */
    private void flushStreamsSafely() {
        try {
            flushStreams();
        } catch (OutOfMemoryError e) {
            LOG.warning(() -> "output flush ran out of memory: " + e.getMessage());
        }
    }

    /**
     * Tells the user, under the running cell (or with no parent between cells), that the kernel is going
     * away and why; waits briefly so that the message leaves before the process ends.
     */
    void announceExit(String text) {
        flushStreams();
        JsonObject content = new JsonObject();
        content.addProperty("name", "stderr");
        content.addProperty("text", text + "\n");
        Message parent = currentRequest;
        sockets.publish(parent != null ? parent.broadcast("stream", content)
                : Message.broadcastWithoutParent("stream", content, history.session() + ""));
        // the JVM halts when the shutdown hooks return: give the IOPub thread time to hand the message
        // to ZeroMQ even on a loaded machine, then ZeroMQ's I/O thread time to write it (nothing waits
        // for that write, and a socket may only be closed by its own thread)
        sockets.drainIopub(5000);
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void flushStreams() {
        stdout.flush();
        stderr.flush();
    }

    private void publishStream(String name, String text) {
        Message parent = currentRequest;
        if (parent == null) {
            LOG.info(() -> name + " outside any cell: " + text);
            return;
        }
        JsonObject content = new JsonObject();
        content.addProperty("name", name);
        content.addProperty("text", text);
        sockets.publish(parent.broadcast("stream", content));
    }

    private JsonObject render(Object value, String displayId) {
        return bundles.render(value, displayId);
    }

    /** Display calls from cells (any thread) become display_data under the running cell. */
    private final class KernelNotebook implements Notebook {
        @Override
        public String display(Object value, String displayId) {
            publishDisplay("display_data", value, displayId);
            issuedDisplayIds.add(displayId);
            return displayId;
        }

        @Override
        public void updateDisplay(String displayId, Object value) {
            if (displayId == null) throw new IllegalArgumentException("updateDisplay needs the id that display returned");
            publishDisplay("update_display_data", value, displayId);
        }

        @Override
        public void clearOutput(boolean wait) {
            Message parent = currentRequest;
            if (parent == null) return;
            flushStreams();
            JsonObject clear = new JsonObject();
            clear.addProperty("wait", wait);
            sockets.publish(parent.broadcast("clear_output", clear));
        }

        @Override
        public boolean isRich() {
            return true;
        }

        private void publishDisplay(String type, Object value, String displayId) {
            Message parent = currentRequest;
            if (parent == null) return;
            flushStreams();
            sockets.publish(parent.broadcast(type, render(value, displayId)));
        }
    }

    // ---- small helpers -----------------------------------------------------------------------

    static JsonObject ok() {
        JsonObject o = new JsonObject();
        o.addProperty("status", "ok");
        return o;
    }

    private static JsonObject status(String state) {
        JsonObject o = new JsonObject();
        o.addProperty("execution_state", state);
        return o;
    }

    private static boolean bool(JsonObject o, String key, boolean fallback) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsBoolean() : fallback;
    }
}
