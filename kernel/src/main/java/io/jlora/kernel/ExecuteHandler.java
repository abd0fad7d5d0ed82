package io.jlora.kernel;

import com.google.gson.JsonObject;
import io.jlora.kernel.execution.EvalResult;
import io.jlora.kernel.protocol.KernelSockets;
import io.jlora.kernel.protocol.Message;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * execute_request: numbers the cell, announces it (execute_input), runs it, publishes its value
 * (execute_result) or its error, records it in the history and replies.
 */
final class ExecuteHandler implements HandlerTable.Handler {
    private final KernelSockets sockets;
    private final CellRunner cells;
    private final CellOutput output;
    private final History history;
    private final AtomicInteger executionCount = new AtomicInteger();

    ExecuteHandler(KernelSockets sockets, CellRunner cells, CellOutput output, History history) {
        this.sockets = sockets;
        this.cells = cells;
        this.output = output;
        this.history = history;
    }

    @Override
    public void handle(Message request, KernelSockets.Replier replier) {
        JsonObject content = request.content();
        String code = content.has("code") ? content.get("code").getAsString() : "";
        boolean silent = Replies.bool(content, "silent", false);
        boolean storeHistory = Replies.bool(content, "store_history", !silent);
        int count = storeHistory ? executionCount.incrementAndGet() : executionCount.get();
        if (!silent) sockets.publish(request.broadcast("execute_input", Replies.executeInput(code, count)));
        output.startCell(request);
        EvalResult result = cells.run(code, count);
        output.flush();

        String outputText = silent ? null : publishResult(request, result, count);
        if (storeHistory) history.add(count, code, outputText);
        replier.send(request.reply("execute_reply", Replies.execute(result, count)));
    }

    /** Publishes the cell's error or its value; returns the value's text/plain for the history. */
    private String publishResult(Message request, EvalResult result, int count) {
        if (result instanceof EvalResult.Failure failure) {
            sockets.publish(request.broadcast("error", Replies.error(failure)));
        } else if (result instanceof EvalResult.Value value && !output.isNotWorthAnOut(value.value())) {
            JsonObject bundle = output.executeResult(value.value(), count);
            sockets.publish(request.broadcast("execute_result", bundle));
            JsonObject data = bundle.getAsJsonObject("data");
            if (data.has("text/plain")) return data.get("text/plain").getAsString();
        }
        return null;
    }
}
