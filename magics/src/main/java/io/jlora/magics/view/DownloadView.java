package io.jlora.magics.view;

import io.jlora.hub.DownloadListener;
import io.jlora.hub.DownloadProgress;
import io.jlora.kernel.runtime.Display;
import io.jlora.kernel.runtime.Notebook;
import io.jlora.magics.Html;

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
            var html = Display.html(String.format("<div style=\"font-family:monospace\"><progress value=\"%.3f\" max=\"1\"></progress> %s</div>",
                    p.fraction(), Html.escape(p.text())));
            if (shown) Display.updateDisplay(id, html);
            else Display.display(html, id);
        } else if (terminal) {
            System.err.print("\r" + p.text() + "\u001b[K" + (p.done() ? "\n" : ""));
        } else if (p.done()) {
            System.err.println(p.text());
        }
        shown = true;
    }
}
