package io.jlora.fuzz;

import java.util.Arrays;
import java.util.Random;

/** Blind byte-level damage: flips, interesting bytes and 8-byte integers, cuts, inserts, repeats. */
final class ByteMutator {

    private static final long[] INTERESTING_LONGS = {0, 1, -1, 2, 7, 8, 255, 65536, Integer.MAX_VALUE,
        1L << 31, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 100_000_001L};

    private ByteMutator() {}

    /** 1 to 4 random edits of {@code in} (which is not changed). */
    static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        int edits = 1 + r.nextInt(4);
        for (int k = 0; k < edits; k++) {
            b = edit(b, r);
        }
        return b;
    }

    private static byte[] edit(byte[] b, Random r) {
        if (b.length == 0) {
            return new byte[] {(byte) r.nextInt(256)};
        }
        int at = r.nextInt(b.length);
        switch (r.nextInt(8)) {
            case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
            case 1 -> b[at] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, '"', '{', '[', '\\', 0xC0, 0xFE}[r.nextInt(10)];
            case 2 -> {
                return Arrays.copyOf(b, at); // truncated
            }
            case 3 -> {
                byte[] extra = new byte[1 + r.nextInt(16)];
                r.nextBytes(extra);
                return splice(b, at, 0, extra);
            }
            case 4 -> {
                int len = Math.min(b.length - at, 1 + r.nextInt(64));
                return splice(b, at, len, new byte[0]);
            }
            case 5 -> {
                // an 8-byte little-endian integer: the safetensors length field and friends
                long v = INTERESTING_LONGS[r.nextInt(INTERESTING_LONGS.length)];
                int pos = r.nextBoolean() ? 0 : at;
                for (int i = 0; i < 8 && pos + i < b.length; i++) {
                    b[pos + i] = (byte) (v >>> (8 * i));
                }
            }
            case 6 -> {
                int len = Math.min(b.length - at, 1 + r.nextInt(32));
                byte[] copy = Arrays.copyOfRange(b, at, at + len);
                return splice(b, r.nextInt(b.length), 0, copy);
            }
            default -> {
                // ASCII digits are where numbers live in JSON: change one
                for (int i = 0; i < b.length; i++) {
                    int p = (at + i) % b.length;
                    if (b[p] >= '0' && b[p] <= '9') {
                        b[p] = (byte) ('0' + r.nextInt(10));
                        break;
                    }
                }
            }
        }
        return b;
    }

    static byte[] splice(byte[] b, int at, int removed, byte[] inserted) {
        byte[] out = new byte[b.length - removed + inserted.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(b, at + removed, out, at + inserted.length, b.length - at - removed);
        return out;
    }
}
