package io.promptune.runtime.engine;

/** Diagnostics hook of greedy decoding: sees the raw logits of every step (used by the golden tests). */
@FunctionalInterface
public interface StepObserver {

  /**
   * @param step    0-based decoding step
   * @param queries the query index of each row still decoding
   * @param logits  row-major [queries.length, vocab] raw logits of this step
   * @param vocab   vocabulary size
   */
  void onStep(int step, int[] queries, float[] logits, int vocab);
}
