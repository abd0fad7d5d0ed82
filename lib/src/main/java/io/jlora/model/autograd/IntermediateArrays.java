package io.jlora.model.autograd;

import ai.djl.ndarray.NDArray;

/**
 * Frees a forward pass's temporaries as soon as the Java code is done with them. DJL frees an
 * array only when its handle or manager closes, so without this every intermediate of a decoder
 * layer lives until the layer's manager closes, after its backward pass: hundreds of MiB per layer
 * at 512 tokens, where eager PyTorch frees each one when its last Python reference goes. Closing a
 * handle only drops this handle's reference: what autograd saved for the backward pass stays alive
 * (libtorch counts references), so any intermediate may be closed once Java no longer reads it.
 * Never for arrays made from Java buffers (those DJL frees with the handle).
 */
public final class IntermediateArrays {

    private IntermediateArrays() {}

    /** Closes each distinct non-null array of {@code arrays}. */
    public static void close(NDArray... arrays) {
        for (int i = 0; i < arrays.length; i++) {
            NDArray a = arrays[i];
            if (a == null || a.isReleased()) {
                continue;
            }
            boolean seen = false;
            for (int j = 0; j < i; j++) {
                seen |= arrays[j] == a;
            }
            if (!seen) {
                a.close();
            }
        }
    }
}
