package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hugging Face's hypothesis bookkeeping on hand-computed numbers (the golden beam cases never end in EOS, so the
 * EOS-versus-cut-off comparison is checked here). Token 1 is EOS.
 */
class BeamHypothesesTest {

  @Test
  void lengthIsTheDecoderSequenceWithStartTokenAndWithoutEos() {
    BeamHypotheses h = new BeamHypotheses(2, 1.0);
    h.add(new int[] {5, 1}, -2.0, true); // [start, 5]: -2 / 2 = -1
    h.add(new int[] {5, 6, 7}, -3.5, false); // [start, 5, 6, 7]: -3.5 / 4 = -0.875
    BeamHypotheses.Hypothesis best = h.best();
    assertArrayEquals(new int[] {5, 6, 7}, best.tokens());
    assertEquals(-0.875, best.score(), 1e-12);
    assertEquals(-3.5, best.sumLogProb(), 0);
    assertFalse(best.endedWithEos());
  }

  @Test
  void lengthPenaltyIsAnExponentOnTheLength() {
    BeamHypotheses h = new BeamHypotheses(3, 2.0);
    h.add(new int[] {1}, -0.5, true); // [start]: -0.5 / 1^2
    h.add(new int[] {9, 9}, -3.0, false); // [start, 9, 9]: -3 / 3^2 = -0.333
    assertEquals(-1.0 / 3, h.best().score(), 1e-12);
    BeamHypotheses shorter = new BeamHypotheses(3, 0.5);
    shorter.add(new int[] {1}, -0.5, true); // -0.5
    shorter.add(new int[] {9, 9}, -3.0, false); // -3 / sqrt(3) = -1.732
    assertEquals(-0.5, shorter.best().score(), 1e-12);
  }

  @Test
  void keepsAtMostNumBeamsAndDropsTheWorst() {
    BeamHypotheses h = new BeamHypotheses(2, 1.0);
    h.add(new int[] {3, 1}, -4.0, true); // -2
    h.add(new int[] {4, 1}, -2.0, true); // -1
    h.add(new int[] {5, 1}, -3.0, true); // -1.5 replaces -2
    h.add(new int[] {6, 1}, -5.0, true); // -2.5: not better than the worst kept (-1.5), rejected
    assertEquals(2, h.size());
    assertTrue(h.isDone(-3.0, 2), "-3 / 2 = -1.5 cannot beat the worst kept, -1.5");
    assertFalse(h.isDone(-2.9, 2), "-2.9 / 2 = -1.45 beats -1.5");
    assertArrayEquals(new int[] {4, 1}, h.best().tokens());
  }

  @Test
  void notDoneBeforeNumBeamsHypotheses() {
    BeamHypotheses h = new BeamHypotheses(2, 1.0);
    h.add(new int[] {4, 1}, -0.1, true);
    assertFalse(h.isDone(-1000.0, 2));
  }

  @Test
  void aTieGoesToTheLaterHypothesisAsHuggingFacesSortAndPop() {
    BeamHypotheses h = new BeamHypotheses(2, 1.0);
    h.add(new int[] {4, 1}, -2.0, true); // -1
    h.add(new int[] {7}, -2.0, false); // [start, 7]: -1
    assertArrayEquals(new int[] {7}, h.best().tokens());
  }
}
