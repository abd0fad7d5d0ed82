package io.jlora.data;

/**
 * One tokenized DPO pair: a prompt and two completions, each without padding. The sequences the
 * model sees are prompt + chosen and prompt + rejected; log-probabilities are summed over the
 * completion tokens only (TRL's semantics).
 *
 * @param line the line of the record it came from, 0 if none
 */
public record PreferenceExample(long[] prompt, long[] chosen, long[] rejected, long line) {

    public static PreferenceExample of(long[] prompt, long[] chosen, long[] rejected) {
        return new PreferenceExample(prompt, chosen, rejected, 0);
    }

    /** The longer of the two sequences. */
    public int length() {
        return prompt.length + Math.max(chosen.length, rejected.length);
    }
}
