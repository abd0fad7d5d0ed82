package io.jlora.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.jlora.kernel.execution.EvalResult;

/** Builds the content of replies and broadcasts whose shape the Jupyter protocol fixes. */
final class Replies {
    private Replies() {
    }

    static JsonObject ok() {
        JsonObject o = new JsonObject();
        o.addProperty("status", "ok");
        return o;
    }

    static JsonObject status(String state) {
        JsonObject o = new JsonObject();
        o.addProperty("execution_state", state);
        return o;
    }

    /** The {@code error} broadcast's content: ename, evalue, traceback. */
    static JsonObject error(EvalResult.Failure failure) {
        JsonObject error = new JsonObject();
        error.addProperty("ename", failure.ename());
        error.addProperty("evalue", failure.evalue());
        JsonArray traceback = new JsonArray();
        failure.traceback().forEach(traceback::add);
        error.add("traceback", traceback);
        return error;
    }

    /** execute_reply: the error's fields with status "error", or status "ok" with empty payload and expressions. */
    static JsonObject execute(EvalResult result, int count) {
        JsonObject reply;
        if (result instanceof EvalResult.Failure failure) {
            reply = error(failure);
            reply.addProperty("status", "error");
        } else {
            reply = ok();
            reply.add("payload", new JsonArray());
            reply.add("user_expressions", new JsonObject());
        }
        reply.addProperty("execution_count", count);
        return reply;
    }

    static JsonObject executeInput(String code, int count) {
        JsonObject input = new JsonObject();
        input.addProperty("code", code);
        input.addProperty("execution_count", count);
        return input;
    }

    static JsonObject stream(String name, String text) {
        JsonObject content = new JsonObject();
        content.addProperty("name", name);
        content.addProperty("text", text);
        return content;
    }

    static JsonObject clearOutput(boolean wait) {
        JsonObject clear = new JsonObject();
        clear.addProperty("wait", wait);
        return clear;
    }

    static JsonObject complete(JsonArray matches, int cursorStart, int cursorEnd) {
        JsonObject reply = ok();
        reply.add("matches", matches);
        reply.addProperty("cursor_start", cursorStart);
        reply.addProperty("cursor_end", cursorEnd);
        reply.add("metadata", new JsonObject());
        return reply;
    }

    /** inspect_reply: found with the text as text/plain, or not found (null). */
    static JsonObject inspect(String text) {
        JsonObject reply = ok();
        reply.addProperty("found", text != null);
        JsonObject data = new JsonObject();
        if (text != null) data.addProperty("text/plain", text);
        reply.add("data", data);
        reply.add("metadata", new JsonObject());
        return reply;
    }

    static JsonObject history(JsonArray entries) {
        return okWith("history", entries);
    }

    static JsonObject commInfo() {
        return okWith("comms", new JsonObject());
    }

    static JsonObject shutdown(boolean restart) {
        return okWith("restart", new JsonPrimitive(restart));
    }

    private static JsonObject okWith(String key, JsonElement value) {
        JsonObject reply = ok();
        reply.add(key, value);
        return reply;
    }

    static boolean bool(JsonObject o, String key, boolean fallback) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsBoolean() : fallback;
    }
}
