package io.jlora.magics;

import org.dflib.jjava.jupyter.kernel.display.DisplayDataRenderable;
import org.dflib.jjava.jupyter.kernel.display.RenderContext;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;

import java.util.Map;
import java.util.Set;

/**
 * What a command gives back, in the three forms its three doors need: a line or two of text
 * (console), HTML (notebook) and a JSON object (the CLI's {@code --json}, whose keys scripts rely on).
 */
public interface CommandResult extends DisplayDataRenderable {
    /** Human-readable text for a console. */
    String text();

    /** The {@code --json} object; its keys are those of the command's result record. */
    Map<String, Object> json();

    /** HTML for a notebook; by default the text, preformatted. */
    default String html() {
        return "<pre>" + Html.escape(text()) + "</pre>";
    }

    @Override
    default Set<MIMEType> getSupportedRenderTypes() {
        return Set.of(MIMEType.TEXT_HTML, MIMEType.TEXT_PLAIN);
    }

    @Override
    default Set<MIMEType> getPreferredRenderTypes() {
        return Set.of(MIMEType.TEXT_HTML);
    }

    @Override
    default void render(RenderContext context) {
        context.getOutputContainer().putText(text());
        context.getOutputContainer().putHTML(html());
    }
}
