package io.promptune.runtime.engine;

/**
 * Sees the raw logits of every greedy decoding step. Package-private: only the golden tests in this package pass one
 * (through {@code DjlT5Engine}'s package-private {@code generate} overload); production calls never do.
 */
@FunctionalInterface
interface StepObserver {

  /**
   * @param step    0-based decoding step
   * @param queries the query index of each row still decoding
   * @param logits  row-major [queries.length, vocab] raw logits of this step
   * @param vocab   vocabulary size
   */
  void onStep(int step, int[] queries, float[] logits, int vocab);
}
