package io.jlora.kernel.runtime;

import org.dflib.jjava.jupyter.kernel.display.DisplayDataRenderable;
import org.dflib.jjava.jupyter.kernel.display.RenderContext;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;

import java.util.Set;

/**
 * Text that a notebook shows as a given MIME type (markdown, HTML, SVG, JSON, LaTeX), with a plain
 * text form for consoles. Made by {@link Display#markdown}, {@link Display#html} and the others.
 */
public record RichText(String mimeType, String text) implements DisplayDataRenderable {
    @Override
    public Set<MIMEType> getSupportedRenderTypes() {
        return Set.of(MIMEType.parse(mimeType), MIMEType.TEXT_PLAIN);
    }

    @Override
    public Set<MIMEType> getPreferredRenderTypes() {
        return Set.of(MIMEType.parse(mimeType));
    }

    @Override
    public void render(RenderContext context) {
        Object data = text;
        if ("application/json".equals(mimeType)) data = com.google.gson.JsonParser.parseString(text);
        context.getOutputContainer().putData(mimeType, data);
        context.getOutputContainer().putText(text);
    }

    @Override
    public String toString() {
        return text;
    }
}
