package io.jlora.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Packs examples into rows of at most {@code capacity} tokens by best-fit decreasing, as TRL's
 * {@code pack_dataset(..., strategy="bfd")}: longest first (ties in order), each into the row with
 * the least room that still holds it (the oldest such row), else a new row. A row keeps its
 * examples' lengths ({@link Example#segments()}) so that training restarts positions and confines
 * attention per example; the first token of each example is not trained (it would be predicted
 * from the previous example's last token), as TRL's padding-free collator masks position 0.
 */
public final class Packing {

    private Packing() {}

    public static List<Example> bestFitDecreasing(List<Example> examples, int capacity) {
        Integer[] order = new Integer[examples.size()];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer k) -> examples.get(k).length()).reversed());
        List<List<Integer>> rows = new ArrayList<>();
        // room left -> rows with that much room, oldest first
        TreeMap<Integer, ArrayDeque<Integer>> byRoom = new TreeMap<>();
        int[] room = new int[examples.size()];
        for (int k : order) {
            int length = Math.min(examples.get(k).length(), capacity);
            if (length == 0) {
                continue;
            }
            var fit = byRoom.ceilingEntry(length);
            int row;
            if (fit == null) {
                row = rows.size();
                rows.add(new ArrayList<>());
                room[row] = capacity;
            } else {
                row = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) {
                    byRoom.remove(fit.getKey());
                }
            }
            rows.get(row).add(k);
            room[row] -= length;
            if (room[row] > 0) {
                byRoom.computeIfAbsent(room[row], r -> new ArrayDeque<>()).addLast(row);
            }
        }
        List<Example> out = new ArrayList<>();
        for (List<Integer> row : rows) {
            out.add(concat(examples, row, capacity));
        }
        return out;
    }

    private static Example concat(List<Example> examples, List<Integer> row, int capacity) {
        int total = 0;
        int[] segments = new int[row.size()];
        for (int s = 0; s < segments.length; s++) {
            segments[s] = Math.min(examples.get(row.get(s)).length(), capacity);
            total += segments[s];
        }
        long[] ids = new long[total];
        long[] labels = new long[total];
        int at = 0;
        for (int s = 0; s < segments.length; s++) {
            Example e = examples.get(row.get(s));
            System.arraycopy(e.inputIds(), 0, ids, at, segments[s]);
            System.arraycopy(e.labels(), 0, labels, at, segments[s]);
            labels[at] = Example.IGNORE;
            at += segments[s];
        }
        return new Example(ids, labels, examples.get(row.get(0)).line(), segments);
    }
}
