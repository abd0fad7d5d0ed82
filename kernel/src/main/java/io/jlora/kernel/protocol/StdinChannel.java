package io.jlora.kernel.protocol;

import com.google.gson.JsonObject;
import org.zeromq.ZMQ;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The stdin channel: asks the front end for a line of input on behalf of a running cell.
 * The cell's thread waits on a future; only this channel's thread touches the socket.
 */
public final class StdinChannel {
    private record Pending(Message request, CompletableFuture<String> answer) {
    }

    private final ZMQ.Socket socket;
    private final WireCodec codec;
    private final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();

    StdinChannel(ZMQ.Socket socket, WireCodec codec) {
        this.socket = socket;
        this.codec = codec;
    }

    void bind(String address) {
        socket.setLinger(1000);
        socket.bind(address);
    }

    /**
     * Sends an input_request as a child of {@code executeRequest} and waits for the answer.
     * An interrupt of the waiting thread abandons the request.
     */
    public String ask(Message executeRequest, String prompt, boolean password) throws InterruptedException {
        JsonObject content = new JsonObject();
        content.addProperty("prompt", prompt);
        content.addProperty("password", password);
        Message request = executeRequest.reply("input_request", content);
        CompletableFuture<String> answer = new CompletableFuture<>();
        pending.add(new Pending(request, answer));
        try {
            return answer.get();
        } catch (InterruptedException e) {
            answer.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw new IllegalStateException("stdin failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    void serve() {
        socket.setReceiveTimeOut(100);
        while (!Thread.currentThread().isInterrupted()) {
            Pending next;
            try {
                next = pending.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (next == null || next.answer().isDone()) continue;
            codec.write(socket, next.request());
            // wait for the matching reply, giving up when the cell that asked was interrupted
            while (!next.answer().isDone()) {
                codec.read(socket, "stdin").ifPresent(reply -> {
                    if ("input_reply".equals(reply.type())) {
                        JsonObject content = reply.content();
                        next.answer().complete(content.has("value") ? content.get("value").getAsString() : "");
                    }
                });
            }
        }
    }
}
