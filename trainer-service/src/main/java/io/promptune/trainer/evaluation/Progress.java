package io.promptune.trainer.evaluation;

import java.util.Arrays;

/**
 * How far an evaluation got: the first {@code done} examples are evaluated, {@code correct} of them right; for an
 * ensemble also each member's correct count (in member order). This is the whole checkpoint of an evaluation job:
 * the examples are fixed (immutable dataset, frozen spec, pinned version), so continuing from {@code done} gives the
 * same final counts as an uninterrupted run.
 */
public record Progress(long done, long correct, long[] memberCorrect) {

  public Progress {
    memberCorrect = memberCorrect.clone();
    if (done < 0 || correct < 0 || correct > done) {
      throw new IllegalArgumentException("inconsistent progress: " + correct + " correct of " + done);
    }
  }

  public static Progress start(int members) {
    return new Progress(0, 0, new long[members]);
  }

  @Override
  public long[] memberCorrect() {
    return memberCorrect.clone();
  }

  /** This progress plus one batch of {@code n} examples. */
  public Progress plus(int n, int correctInBatch, int[] memberCorrectInBatch) {
    long[] m = memberCorrect.clone();
    for (int i = 0; i < m.length; i++) {
      m[i] += memberCorrectInBatch[i];
    }
    return new Progress(done + n, correct + correctInBatch, m);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Progress p && p.done == done && p.correct == correct
        && Arrays.equals(p.memberCorrect, memberCorrect);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(done) * 31 + Long.hashCode(correct) * 17 + Arrays.hashCode(memberCorrect);
  }

  @Override
  public String toString() {
    return "Progress[done=" + done + ", correct=" + correct + ", members=" + Arrays.toString(memberCorrect) + "]";
  }
}
