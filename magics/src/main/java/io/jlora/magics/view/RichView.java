package io.jlora.magics.view;

import io.jlora.kernel.runtime.Display;
import org.dflib.jjava.jupyter.kernel.display.DisplayDataRenderable;
import org.dflib.jjava.jupyter.kernel.display.RenderContext;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Set;

/**
 * A live view's picture (a PNG plot, an HTML progress bar) together with the one line a console
 * shows instead: {@code jupyter console} and other text-only clients render {@code text/plain}, which
 * would otherwise be the image object's toString or the raw HTML.
 *
 * @param mime image/png (data in base64) or text/html
 */
public record RichView(String mime, String data, String text) implements DisplayDataRenderable {

    /** A chart image, with a one-line summary for consoles. */
    public static RichView png(BufferedImage image, String text) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new RichView(MIMEType.IMAGE_PNG.toString(), Base64.getEncoder().encodeToString(png.toByteArray()), text);
    }

    /** HTML, with the same content as one line of text for consoles. */
    public static RichView html(String html, String text) {
        return new RichView(MIMEType.TEXT_HTML.toString(), html, text);
    }

    @Override
    public Set<MIMEType> getSupportedRenderTypes() {
        return Set.of(MIMEType.parse(mime), MIMEType.TEXT_PLAIN);
    }

    @Override
    public Set<MIMEType> getPreferredRenderTypes() {
        return Set.of(MIMEType.parse(mime));
    }

    @Override
    public void render(RenderContext context) {
        context.getOutputContainer().putData(mime, data);
        context.getOutputContainer().putText(text);
    }

    @Override
    public String toString() {
        return text;
    }

    /** Shows it under {@code id} the first time, updates it in place afterwards. */
    void show(String id, boolean first) {
        if (first) Display.display(this, id);
        else Display.updateDisplay(id, this);
    }
}
