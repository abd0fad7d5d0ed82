package io.jlora.kernel.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the signatures of recent messages so that a captured message sent again is dropped.
 * Signatures cover the header, whose msg_id and date are unique, so a legitimate client never repeats one.
 */
final class ReplayGuard {
    private static final int REMEMBERED = 65_536;

    private final Map<String, Boolean> seen = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** True the first time a signature is offered, false for a replay. */
    synchronized boolean firstSighting(String signature) {
        return seen.put(signature, Boolean.TRUE) == null;
    }
}
