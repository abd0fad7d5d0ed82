package io.jlora.kernel;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.common.Image;

/**
 * Turns values into MIME bundles ({data, metadata, transient}) with JJava's renderer: images as PNG,
 * objects that render themselves with their own types, everything else as text.
 */
final class MimeBundles {
    private static final Gson GSON = new Gson();
    private final Renderer renderer = new Renderer();

    MimeBundles() {
        Image.registerAll(renderer);
    }

    Renderer renderer() {
        return renderer;
    }

    /** The display_data / execute_result content for a value; the display id goes in transient. */
    JsonObject render(Object value, String displayId) {
        DisplayData data = renderer.render(value);
        JsonObject content = new JsonObject();
        JsonObject tree = GSON.toJsonTree(data).getAsJsonObject();
        content.add("data", orEmpty(tree.get("data")));
        content.add("metadata", orEmpty(tree.get("metadata")));
        JsonObject transientData = orEmpty(tree.has("transient") ? tree.get("transient") : tree.get("transientData"));
        if (displayId != null) transientData.addProperty("display_id", displayId);
        content.add("transient", transientData);
        return content;
    }

    private static JsonObject orEmpty(JsonElement element) {
        return element != null && element.isJsonObject() ? element.getAsJsonObject().deepCopy() : new JsonObject();
    }
}
