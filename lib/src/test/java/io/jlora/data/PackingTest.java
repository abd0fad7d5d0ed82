package io.jlora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Best-fit decreasing packs as TRL's pack_dataset(strategy="bfd") does. */
class PackingTest {

    @Test
    void rowsAndTheirOrderAreTrls() {
        // TRL 1.13, pack_dataset(Dataset.from_dict({"input_ids": [[i] * n for i, n in enumerate(lengths)]}), 10, "bfd"):
        // rows hold examples [8, 5], [2, 3], [4, 1], [7, 6], [0, 9]
        int[] lengths = {5, 3, 8, 2, 7, 1, 4, 6, 9, 3};
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            long[] ids = new long[lengths[i]];
            Arrays.fill(ids, i);
            examples.add(new Example(ids, ids.clone(), i + 1));
        }
        List<Example> rows = Packing.bestFitDecreasing(examples, 10);
        int[][] want = {{8, 5}, {2, 3}, {4, 1}, {7, 6}, {0, 9}};
        assertEquals(want.length, rows.size());
        for (int r = 0; r < want.length; r++) {
            Example row = rows.get(r);
            assertArrayEquals(new int[] {lengths[want[r][0]], lengths[want[r][1]]}, row.segments());
            assertEquals(want[r][0], row.inputIds()[0]);
            assertEquals(want[r][1], row.inputIds()[row.length() - 1]);
            assertEquals(Example.IGNORE, row.labels()[lengths[want[r][0]]], "an example's first token is not trained");
            assertEquals(want[r][0] + 1, row.line());
        }
    }
}
