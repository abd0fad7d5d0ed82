package io.jlora.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each assistant turn lies in a conversation rendered once, for templates without
 * {@code {% generation %}} blocks: a turn runs from the end of the template's assistant header
 * (e.g. {@code <|im_start|>assistant\n}) through its turn end ({@code <|im_end|>\n}), which is
 * what TRL's generation-marked templates train. Header and turn end are read once per template
 * from one probe conversation (user, assistant, user); each assistant message's content is then
 * found in the rendered text in order. The header is what both a finished turn and the generation
 * prompt write before the words (so that a think block the template writes is trained, as TRL
 * does). No prefix of the conversation is rendered, so templates
 * that drop earlier turns' reasoning (Qwen3) are masked as well as any other.
 */
final class AssistantSpans {

    private static final String USER_1 = "jlora probe: first user words";
    private static final String ASSISTANT = "jlora probe: assistant words";
    private static final String USER_2 = "jlora probe: second user words";

    /** What opens an assistant turn. */
    private final String header;
    /** What closes a turn (may be empty). */
    private final String turnEnd;

    AssistantSpans(String header, String turnEnd) {
        this.header = header;
        this.turnEnd = turnEnd;
    }

    /** Header and turn end as the template writes them, or null when the probe does not show them. */
    static AssistantSpans probe(ChatTemplate template) {
        ArrayNode probe = DataFiles.JSON.createArrayNode();
        probe.add(message("user", USER_1));
        probe.add(message("assistant", ASSISTANT));
        probe.add(message("user", USER_2));
        String text;
        try {
            text = template.render(probe, false);
        } catch (RuntimeException e) {
            return null;
        }
        int u1 = text.indexOf(USER_1);
        int a = text.indexOf(ASSISTANT, u1 + 1);
        int u2 = text.indexOf(USER_2, a + 1);
        if (u1 < 0 || a < 0 || u2 < 0) {
            return null;
        }
        String beforeUser = text.substring(0, u1);
        String afterUser = text.substring(u1 + USER_1.length(), a);
        String afterAssistant = text.substring(a + ASSISTANT.length(), u2);
        // the user header ends both the text before the first user message and the text between
        // the assistant's words and the second user message; what precedes it there ends the turn
        int cut = outsideTag(afterAssistant, afterAssistant.length() - commonSuffix(beforeUser, afterAssistant));
        String turnEnd = afterAssistant.substring(0, cut);
        String header = afterUser.startsWith(turnEnd) ? afterUser.substring(turnEnd.length()) : afterUser;
        // what a template writes after the header of a finished turn (an empty think block, say)
        // is the assistant's: keep only what the generation prompt writes too
        String prompt = generationPrompt(template);
        if (prompt != null) {
            String promptHeader = prompt.startsWith(turnEnd) ? prompt.substring(turnEnd.length()) : prompt;
            header = header.substring(0, commonPrefix(header, promptHeader));
        }
        if (header.isEmpty()) {
            return null;
        }
        return new AssistantSpans(header, turnEnd);
    }

    /** What follows the user's words when the template is asked for a generation prompt, or null. */
    private static String generationPrompt(ChatTemplate template) {
        ArrayNode probe = DataFiles.JSON.createArrayNode();
        probe.add(message("user", USER_1));
        try {
            String text = template.render(probe, true);
            int u = text.indexOf(USER_1);
            return u < 0 ? null : text.substring(u + USER_1.length());
        } catch (RuntimeException e) {
            return null;
        }
    }

    String header() {
        return header;
    }

    String turnEnd() {
        return turnEnd;
    }

    /**
     * The span of each assistant message of {@code messages} in {@code rendered}, in order; null
     * when one cannot be found (the template rewrites the content, say).
     */
    List<TextSpan> locate(String rendered, JsonNode messages) {
        List<TextSpan> spans = new ArrayList<>();
        int cursor = 0;
        for (JsonNode m : messages) {
            String needle = needle(m.path("content"));
            if (!"assistant".equals(m.path("role").asText())) {
                // step over other messages' words, so that a user quoting a header misleads nothing
                int at = needle.isEmpty() ? -1 : rendered.indexOf(needle, cursor);
                if (at >= 0) {
                    cursor = at + needle.length();
                }
                continue;
            }
            int h = rendered.indexOf(header, cursor);
            if (h < 0) {
                return null;
            }
            int start = h + header.length();
            int contentEnd = start;
            if (!needle.isEmpty()) {
                int c = rendered.indexOf(needle, start);
                if (c < 0) {
                    return null;
                }
                // the header nearest the words is the turn's own
                int nearer = rendered.lastIndexOf(header, c - header.length());
                if (nearer > h) {
                    start = nearer + header.length();
                }
                contentEnd = c + needle.length();
            }
            int end;
            if (turnEnd.isEmpty()) {
                end = contentEnd;
            } else {
                int e = rendered.indexOf(turnEnd, contentEnd);
                int next = rendered.indexOf(header, contentEnd);
                if (e < 0 || (next >= 0 && next < e)) {
                    // an unclosed turn: only the last one may be (templates that leave it open)
                    if (next >= 0) {
                        return null;
                    }
                    end = rendered.length();
                } else {
                    end = e + turnEnd.length();
                }
            }
            spans.add(new TextSpan(start, end));
            cursor = end;
        }
        return spans;
    }

    /**
     * The words of a message as templates render them: the text (of the last text part of a list),
     * after any reasoning block (templates move it or drop it), without surrounding whitespace
     * (templates trim).
     */
    private static String needle(JsonNode content) {
        String text = "";
        if (content.isTextual()) {
            text = content.asText();
        } else if (content.isArray()) {
            for (JsonNode part : content) {
                if (part.path("text").isTextual()) {
                    text = part.path("text").asText();
                }
            }
        }
        int think = text.lastIndexOf("</think>");
        if (think >= 0) {
            text = text.substring(think + "</think>".length());
        }
        return text.strip();
    }

    private static ObjectNode message(String role, String content) {
        ObjectNode m = DataFiles.JSON.createObjectNode();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /**
     * {@code at}, or the end of the special token ({@code <|eot_id|>}, {@code [INST]}) it falls
     * inside: texts before a turn and after one can end alike by chance ("|>" of two tokens).
     */
    private static int outsideTag(String text, int at) {
        for (char[] brackets : new char[][] {{'<', '>'}, {'[', ']'}}) {
            int open = text.lastIndexOf(brackets[0], at - 1);
            if (open >= 0 && text.indexOf(brackets[1], open) >= at) {
                int close = text.indexOf(brackets[1], at);
                return close < 0 ? at : close + 1;
            }
        }
        return at;
    }

    private static int commonPrefix(String a, String b) {
        int n = 0;
        while (n < a.length() && n < b.length() && a.charAt(n) == b.charAt(n)) {
            n++;
        }
        return n;
    }

    private static int commonSuffix(String a, String b) {
        int n = 0;
        while (n < a.length() && n < b.length() && a.charAt(a.length() - 1 - n) == b.charAt(b.length() - 1 - n)) {
            n++;
        }
        return n;
    }
}
