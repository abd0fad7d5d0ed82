package io.jlora.magics.view;

import io.jlora.hub.DownloadListener;
import io.jlora.hub.DownloadProgress;
import io.jlora.kernel.runtime.Display;
import io.jlora.kernel.runtime.Notebook;
import io.jlora.magics.Html;
import org.dflib.jjava.jupyter.kernel.display.DisplayDataRenderable;
import org.dflib.jjava.jupyter.kernel.display.RenderContext;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;

import java.util.Set;
import java.util.UUID;

/**
 * Shows a Hub download: in a notebook one display updated in place; elsewhere one line on stderr,
 * rewritten in place on a terminal and printed once at the end otherwise (stdout stays for results
 * and --json).
 */
public final class DownloadView implements DownloadListener {
    private final boolean rich = Notebook.current().isRich();
    private final boolean terminal = System.console() != null;
    private final String id = "jlora-download-" + UUID.randomUUID();
    private boolean shown;

    @Override
    public void onProgress(DownloadProgress p) {
        if (rich) {
            var html = new Bar(String.format("<div style=\"font-family:monospace\"><progress value=\"%.3f\" max=\"1\"></progress> %s</div>",
                    p.fraction(), Html.escape(p.text())), p.text());
            if (shown) Display.updateDisplay(id, html);
            else Display.display(html, id);
        } else if (terminal) {
            System.err.print("\r" + p.text() + "\u001b[K" + (p.done() ? "\n" : ""));
        } else if (p.done()) {
            System.err.println(p.text());
        }
        shown = true;
    }

    /** The bar as HTML for notebooks, with its one line as text/plain for consoles. */
    record Bar(String html, String plain) implements DisplayDataRenderable {
        @Override
        public Set<MIMEType> getSupportedRenderTypes() {
            return Set.of(MIMEType.TEXT_HTML, MIMEType.TEXT_PLAIN);
        }

        @Override
        public Set<MIMEType> getPreferredRenderTypes() {
            return Set.of(MIMEType.TEXT_HTML);
        }

        @Override
        public void render(RenderContext context) {
            context.getOutputContainer().putData(MIMEType.TEXT_HTML, html);
            context.getOutputContainer().putText(plain);
        }
    }
}
