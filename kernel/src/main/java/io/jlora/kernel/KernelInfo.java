package io.jlora.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.jlora.kernel.protocol.Message;

/** The kernel_info_reply content: who we are and how Java code should be shown and saved. */
final class KernelInfo {
    private KernelInfo() {
    }

    static JsonObject content() {
        JsonObject reply = Replies.ok();
        reply.addProperty("protocol_version", Message.PROTOCOL_VERSION);
        reply.addProperty("implementation", "jlora");
        reply.addProperty("implementation_version", JloraKernel.VERSION);
        JsonObject language = new JsonObject();
        language.addProperty("name", "java");
        language.addProperty("version", Runtime.version().toString());
        language.addProperty("mimetype", "text/x-java-source");
        language.addProperty("file_extension", ".java");
        language.addProperty("pygments_lexer", "java");
        language.addProperty("codemirror_mode", "text/x-java");
        reply.add("language_info", language);
        reply.addProperty("banner", "jlora " + JloraKernel.VERSION + ": Java " + Runtime.version()
                + " (JShell), LoRA fine-tuning with %lora magics. %lsmagic lists the magics.");
        reply.addProperty("debugger", false);
        JsonArray links = new JsonArray();
        links.add(link("Java API", "https://docs.oracle.com/en/java/javase/" + Runtime.version().feature() + "/docs/api/"));
        reply.add("help_links", links);
        return reply;
    }

    private static JsonObject link(String text, String url) {
        JsonObject o = new JsonObject();
        o.addProperty("text", text);
        o.addProperty("url", url);
        return o;
    }
}
