package io.promptune.trainer.dataset;

/**
 * Upload limits.
 *
 * @param maxBytes   raw bytes over all splits
 * @param maxRecords records over all splits
 * @param maxChunkBytes bytes of one upload chunk
 */
public record DatasetLimits(long maxBytes, int maxRecords, int maxChunkBytes) {

  public static DatasetLimits defaults() {
    return new DatasetLimits(64L << 20, 1_000_000, 1 << 20);
  }
}
