package io.jlora.kernel;

import io.jlora.kernel.magic.BuiltinMagics;
import io.jlora.kernel.magic.MagicProvider;
import io.jlora.kernel.magic.MagicRegistry;
import io.jlora.kernel.protocol.KernelSockets;
import io.jlora.kernel.protocol.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static io.jlora.kernel.HandlerTable.replying;

/**
 * The Jupyter kernel: a table of handlers per message type ({@link HandlerTable}) over the wire
 * ({@link KernelSockets}), cells run by {@link CellRunner}, what they print and display published by
 * {@link CellOutput}. This class only builds them and wires requests to them.
 */
public final class JloraKernel {
    static final String VERSION = "0.1.0";

    private final KernelSockets sockets;
    private final History history;
    private final MagicRegistry magics = new MagicRegistry();
    private final CellRunner cells;
    private final CellOutput output;
    private final HandlerTable handlers;

    public JloraKernel(KernelSockets sockets, History history) {
        this.sockets = sockets;
        this.history = history;
        List<MagicProvider> providers = magicProviders();
        this.cells = new CellRunner(startupImports(providers), magics);
        this.output = new CellOutput(sockets, () -> String.valueOf(history.session()));
        BuiltinMagics.register(magics, path -> cells.evaluator().addToClasspath(path));
        providers.forEach(p -> p.register(magics));
        this.handlers = handlers();
    }

    private HandlerTable handlers() {
        CodeAssistReplies assist = new CodeAssistReplies(() -> cells.evaluator().assist(), magics);
        return new HandlerTable(sockets)
                .shell("execute_request", new ExecuteHandler(sockets, cells, output, history))
                .shell("complete_request", replying("complete_reply", r -> assist.complete(r.content())))
                .shell("inspect_request", replying("inspect_reply", r -> assist.inspect(r.content())))
                .shell("is_complete_request", replying("is_complete_reply", r -> assist.isComplete(r.content())))
                .shell("history_request", replying("history_reply", r -> Replies.history(history.query(r.content()))))
                .shell("comm_info_request", replying("comm_info_reply", r -> Replies.commInfo()))
                .shellAndControl("kernel_info_request", replying("kernel_info_reply", r -> KernelInfo.content()))
                .shellAndControl("interrupt_request", (request, replier) -> {
                    interrupt();
                    replier.send(request.reply("interrupt_reply", Replies.ok()));
                })
                .shellAndControl("shutdown_request", this::shutdown);
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
        return output.stdout();
    }

    StreamPublisher stderrStream() {
        return output.stderr();
    }

    /** Starts serving; also makes {@link io.jlora.kernel.runtime.Notebook#current()} this kernel. */
    public void start() {
        output.start();
        sockets.start(handlers::onShell, handlers::onControl);
        sockets.publish(Message.broadcastWithoutParent("status", Replies.status("starting"), history.session() + ""));
    }

    /** Stops the running cell: a kernel interrupt, by message or by SIGINT. */
    public void interrupt() {
        cells.interrupt();
    }

    /** A line typed by the user for the running cell, or null when its front end allows no input. */
    String readInputLine() throws InterruptedException {
        Message parent = output.parent();
        if (parent == null || !Replies.bool(parent.content(), "allow_stdin", false)) return null;
        output.flush();
        return sockets.stdin().ask(parent, "", false);
    }

    /** Tells the user why the kernel is going away (see {@link CellOutput#announceExit}). */
    void announceExit(String text) {
        output.announceExit(text);
    }

    private void shutdown(Message request, KernelSockets.Replier replier) {
        var reply = Replies.shutdown(Replies.bool(request.content(), "restart", false));
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
}
