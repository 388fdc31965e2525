package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hugging Face's per-step beam bookkeeping on hand-made candidates (token 1 is EOS): what the golden beam cases,
 * which never emit EOS, cannot show.
 */
class BeamSearchScorerTest {

  static final int EOS = 1;

  @Test
  void eosInTheTopBeamsFinishesAHypothesisBelowThemItDoesNot() {
    BeamSearchScorer s = new BeamSearchScorer(2, 1.0, EOS);
    // step 0 (decoder length 1): candidates (beam, token, sum) best first
    BeamSearchScorer.Next n0 = s.process(new int[] {0, 0, 0, 0}, new int[] {7, EOS, 8, 9},
        new double[] {-0.1, -0.5, -0.7, -0.9}, 1);
    assertNotNull(n0, "one finished hypothesis of two needed: not done");
    assertArrayEquals(new int[] {0, 0}, n0.sourceBeam());
    assertArrayEquals(new int[] {7, 8}, n0.token(), "EOS at rank 1 < 2 finished [EOS]; 7 and 8 continue");
    assertArrayEquals(new double[] {-0.1, -0.7}, n0.sumLogProb());
    // step 1 (length 2): beam 1 is [8], beam 0 is [7]; the EOS at rank 3 >= numBeams is ignored
    BeamSearchScorer.Next n1 = s.process(new int[] {1, 0, 0, 1}, new int[] {4, 5, 6, EOS},
        new double[] {-0.9, -1.0, -1.2, -1.3}, 2);
    assertNotNull(n1);
    assertArrayEquals(new int[] {1, 0}, n1.sourceBeam());
    assertArrayEquals(new int[] {4, 5}, n1.token());
    // out of steps: [8, 4] scores -0.9 / 3 = -0.3 (start token counted), [7, 5] -1.0 / 3, [EOS] -0.5 / 1
    s.finalizeRunning();
    GenerationResult best = s.best();
    assertArrayEquals(new int[] {8, 4}, best.tokenIds());
    assertEquals(-0.9, best.sumLogProb(), 0);
    assertFalse(best.endedWithEos());
  }

  @Test
  void doneWhenNoRunningBeamCanBeatTheFinishedOnes() {
    BeamSearchScorer s = new BeamSearchScorer(1, 1.0, EOS);
    // [EOS] scores -0.2 / 1; the best candidate's sum -0.2 / length 1 cannot beat it
    assertNull(s.process(new int[] {0, 0}, new int[] {EOS, 5}, new double[] {-0.2, -0.3}, 1));
    GenerationResult best = s.best();
    assertArrayEquals(new int[] {EOS}, best.tokenIds());
    assertEquals(-0.2, best.sumLogProb(), 0);
    assertTrue(best.endedWithEos());
  }

  @Test
  void doneIsJudgedByTheBestCandidateAtTheCurrentLength() {
    BeamSearchScorer s = new BeamSearchScorer(2, 1.0, EOS);
    s.process(new int[] {0, 0, 0, 0}, new int[] {3, 4, 5, 6}, new double[] {-0.4, -0.6, -0.8, -1.0}, 1);
    // length 2: [3, EOS] -0.9 / 2 = -0.45 and [4, EOS] -1.0 / 2 = -0.5 finish; the best candidate's -0.9 / 2 = -0.45
    // still beats the worst finished (-0.5), so not done
    BeamSearchScorer.Next n = s.process(new int[] {0, 1, 0, 1}, new int[] {EOS, EOS, 7, 8},
        new double[] {-0.9, -1.0, -1.1, -1.3}, 2);
    assertNotNull(n);
    assertArrayEquals(new int[] {7, 8}, n.token());
    // length 3: the best candidate's -1.6 / 3 = -0.533 cannot beat -0.5: done
    assertNull(s.process(new int[] {0, 1, 0, 1}, new int[] {10, 11, 12, 13}, new double[] {-1.6, -1.7, -1.8, -1.9},
        3));
    GenerationResult best = s.best();
    assertArrayEquals(new int[] {3, EOS}, best.tokenIds());
    assertEquals(-0.9, best.sumLogProb(), 0);
    assertTrue(best.endedWithEos());
  }
}
