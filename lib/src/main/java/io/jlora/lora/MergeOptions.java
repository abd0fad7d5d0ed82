package io.jlora.lora;

/**
 * Options of {@link MergeTool#merge}.
 *
 * @param overwrite replace an existing non-empty output folder (refused otherwise)
 * @param padToMultipleOf 0, or pad the vocabulary rows of embed_tokens and lm_head with zeros up to
 *     a multiple of this (e.g. 64 for tensor cores) and update vocab_size in config.json
 * @param maxShardBytes largest safetensors shard; past it the weights are sharded with an index
 */
public record MergeOptions(boolean overwrite, int padToMultipleOf, long maxShardBytes) {

    public MergeOptions {
        if (padToMultipleOf < 0) {
            throw new IllegalArgumentException("pad_to_multiple_of must be >= 0, got " + padToMultipleOf);
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("max shard size must be positive, got " + maxShardBytes);
        }
    }

    /** No overwrite, no padding, transformers' 5 GB shards. */
    public static MergeOptions defaults() {
        return new MergeOptions(false, 0, HfFolderWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    public MergeOptions withOverwrite(boolean on) {
        return new MergeOptions(on, padToMultipleOf, maxShardBytes);
    }

    public MergeOptions withPadToMultipleOf(int n) {
        return new MergeOptions(overwrite, n, maxShardBytes);
    }

    public MergeOptions withMaxShardBytes(long bytes) {
        return new MergeOptions(overwrite, padToMultipleOf, bytes);
    }
}
