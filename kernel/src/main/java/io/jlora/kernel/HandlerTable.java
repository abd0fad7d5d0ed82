package io.jlora.kernel;

import io.jlora.kernel.protocol.KernelSockets;
import io.jlora.kernel.protocol.Message;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The kernel's requests by message type, shared by the shell and control channels (as in JJava's
 * BaseKernel): one handler per type, registered once, and marked when control may run it too. Every
 * request runs between a busy and an idle status; idle is published, and everything on IOPub handed to
 * ZeroMQ, before the reply leaves: a client that waits for the reply and then reads IOPub (as the
 * conformance suite does, 0.1 s per message) finds the whole output there, however loaded the machine is.
 */
final class HandlerTable {
    private static final Logger LOG = Logger.getLogger(HandlerTable.class.getName());

    /** Answers one request through the replier (at most once). */
    interface Handler {
        void handle(Message request, KernelSockets.Replier replier);
    }

    private record Entry(Handler handler, boolean onControl) {
    }

    private final Map<String, Entry> handlers = new HashMap<>();
    private final KernelSockets sockets;

    HandlerTable(KernelSockets sockets) {
        this.sockets = sockets;
    }

    /** A request served on shell only. */
    HandlerTable shell(String type, Handler handler) {
        handlers.put(type, new Entry(handler, false));
        return this;
    }

    /** A request served on shell and control alike. */
    HandlerTable shellAndControl(String type, Handler handler) {
        handlers.put(type, new Entry(handler, true));
        return this;
    }

    /** A request whose reply is a fixed function of the request: {@code TYPE_request} answered by {@code TYPE_reply}. */
    static Handler replying(String replyType, java.util.function.Function<Message, com.google.gson.JsonObject> content) {
        return (request, replier) -> replier.send(request.reply(replyType, content.apply(request)));
    }

    void onShell(Message request, KernelSockets.Replier replier) {
        dispatch(request, replier, false);
    }

    void onControl(Message request, KernelSockets.Replier replier) {
        dispatch(request, replier, true);
    }

    private void dispatch(Message request, KernelSockets.Replier replier, boolean control) {
        Entry entry = handlers.get(request.type());
        busy(request, replier, idleFirst -> {
            if (entry == null || control && !entry.onControl()) {
                LOG.fine(() -> "ignored " + request.type() + (control ? " on control" : ""));
                return;
            }
            entry.handler().handle(request, idleFirst);
        });
    }

    private void busy(Message request, KernelSockets.Replier replier, Consumer<KernelSockets.Replier> work) {
        sockets.publish(request.broadcast("status", Replies.status("busy")));
        boolean[] idle = {false};
        KernelSockets.Replier idleFirst = reply -> {
            if (!idle[0]) {
                idle[0] = true;
                sockets.publish(request.broadcast("status", Replies.status("idle")));
                sockets.drainIopub(2000);
            }
            replier.send(reply);
        };
        try {
            work.accept(idleFirst);
        } finally {
            if (!idle[0]) sockets.publish(request.broadcast("status", Replies.status("idle")));
        }
    }
}
