package io.jlora.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.jlora.kernel.execution.CodeAssist;
import io.jlora.kernel.magic.CellParts;
import io.jlora.kernel.magic.MagicRegistry;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * complete_reply, inspect_reply and is_complete_reply: JShell's answers, except where the cursor or
 * the cell is in a magic, which JShell does not know.
 */
final class CodeAssistReplies {
    private final Supplier<CodeAssist> assist;
    private final MagicRegistry magics;

    CodeAssistReplies(Supplier<CodeAssist> assist, MagicRegistry magics) {
        this.assist = assist;
        this.magics = magics;
    }

    JsonObject complete(JsonObject content) {
        String code = content.get("code").getAsString();
        int cursor = cursor(content, code);
        JsonArray matches = new JsonArray();
        int start, end = cursor;
        Optional<String> magicPrefix = magicPrefix(code, cursor);
        if (magicPrefix.isPresent()) {
            String typed = magicPrefix.get();
            for (String name : magics.lineNames()) if (name.startsWith(typed)) matches.add("%" + name);
            start = cursor - typed.length() - 1;
        } else {
            CodeAssist.Completions completions = assist.get().complete(code, cursor);
            completions.matches().forEach(matches::add);
            start = completions.start();
            end = completions.end();
        }
        return Replies.complete(matches, start, end);
    }

    JsonObject inspect(JsonObject content) {
        String code = content.get("code").getAsString();
        CodeAssist.Inspection inspection = assist.get().inspect(code, cursor(content, code));
        if (!inspection.found()) return Replies.inspect(null);
        return Replies.inspect(inspection.javadoc().isEmpty() ? inspection.signatures() : inspection.javadoc());
    }

    JsonObject isComplete(JsonObject content) {
        String code = content.get("code").getAsString();
        JsonObject reply = new JsonObject();
        boolean onlyMagics = !code.isBlank() && CellParts.split(code).stream().noneMatch(p -> p instanceof CellParts.Java);
        CodeAssist.Readiness readiness = onlyMagics ? new CodeAssist.Readiness("complete", "") : assist.get().isComplete(code);
        reply.addProperty("status", readiness.status());
        if ("incomplete".equals(readiness.status())) reply.addProperty("indent", readiness.indent());
        return reply;
    }

    private static int cursor(JsonObject content, String code) {
        return Math.min(code.length(), content.has("cursor_pos") ? content.get("cursor_pos").getAsInt() : code.length());
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
}
