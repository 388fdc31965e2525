package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * T5's relative position bias. The table [num_buckets, num_heads] lives only in block 0 of each stack and its
 * bias is reused by every layer of that stack: bidirectional in the encoder, causal (unidirectional) in the
 * decoder's self-attention. {@code bias[h, i, j] = table[bucket(j - i), h]}.
 */
public final class RelativePositionBias {

  private final NDArray table; // [numBuckets, H]
  private final boolean bidirectional;
  private final int numBuckets;
  private final int maxDistance;

  public RelativePositionBias(NDArray table, boolean bidirectional, int numBuckets, int maxDistance) {
    this.table = table;
    this.bidirectional = bidirectional;
    this.numBuckets = numBuckets;
    this.maxDistance = maxDistance;
  }

  /**
   * Hugging Face's {@code T5Attention._relative_position_bucket} for one relative position (memory − query),
   * evaluated the way torch does it: the log bucket is computed in float32 and truncated toward zero.
   */
  public static int bucket(int relativePosition, boolean bidirectional, int numBuckets, int maxDistance) {
    int buckets = 0;
    int n = numBuckets;
    int rel = relativePosition;
    if (bidirectional) {
      n /= 2;
      if (rel > 0) {
        buckets += n;
      }
      rel = Math.abs(rel);
    } else {
      rel = -Math.min(rel, 0);
    }
    int maxExact = n / 2;
    if (rel < maxExact) {
      return buckets + rel;
    }
    float ratio = (float) rel / (float) maxExact;
    float logRatio = (float) Math.log(ratio);
    float scaled = logRatio / (float) Math.log((double) maxDistance / maxExact);
    scaled = scaled * (float) (n - maxExact);
    int large = maxExact + (int) scaled;
    return buckets + Math.min(large, n - 1);
  }

  public int bucket(int relativePosition) {
    return bucket(relativePosition, bidirectional, numBuckets, maxDistance);
  }

  /**
   * The bias for query positions {@code queryStart .. queryStart+queryLength-1} against key positions
   * {@code 0 .. keyLength-1}: [1, H, queryLength, keyLength], in {@code m}.
   */
  public NDArray compute(NDManager m, int queryStart, int queryLength, int keyLength) {
    long[] idx = new long[queryLength * keyLength];
    for (int i = 0; i < queryLength; i++) {
      int q = queryStart + i;
      for (int j = 0; j < keyLength; j++) {
        idx[i * keyLength + j] = bucket(j - q);
      }
    }
    NDArray buckets = m.create(idx, new Shape(queryLength, keyLength));
    NDArray values = Ops.embedding(buckets, table); // [q, k, H]
    return values.transpose(2, 0, 1).expandDims(0); // [1, H, q, k]
  }
}
