package io.promptune.runtime.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.promptune.api.v1.CombinationRule;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The combination rules on hand-made numbers; expected values worked out from the definitions. */
class EnsembleCombinerTest {

  @Test
  void majorityWinsRegardlessOfLogProb() {
    // "b" has 2 votes with a poor summed log-prob (-9), "a" 1 vote at -0.1: the majority wins.
    EnsembleCombiner.Vote v = EnsembleCombiner.vote(List.of("a", "b", "b"), new double[] {-0.1, -4, -5});
    assertEquals(1, v.winner());
    assertEquals(2, v.votes());
  }

  @Test
  void aTieGoesToTheHigherSummedLogProbOfItsVoters() {
    // a: members 0, 2 -> -1 + -3 = -4; b: members 1, 3 -> -0.5 + -2 = -2.5. b wins; its first voter is member 1.
    EnsembleCombiner.Vote v = EnsembleCombiner.vote(List.of("a", "b", "a", "b"), new double[] {-1, -0.5, -3, -2});
    assertEquals(1, v.winner());
    assertEquals(2, v.votes());
    // Singletons: one vote each, the highest log-prob wins (member 2).
    assertEquals(2, EnsembleCombiner.vote(List.of("x", "y", "z"), new double[] {-3, -2, -1}).winner());
  }

  @Test
  void aFullTieGoesToTheEarliestMembersAnswer() {
    EnsembleCombiner.Vote v = EnsembleCombiner.vote(List.of("b", "a", "a", "b"), new double[] {-1, -1, -1, -1});
    assertEquals(0, v.winner()); // b and a: 2 votes and -2 each; b was answered first (member 0)
    assertEquals(1, EnsembleCombiner.vote(List.of("c", "d"), new double[] {-2, -1}).winner());
  }

  @Test
  void scoreMajorityVoteCountsEachMembersArgmaxAndBreaksTiesBySummedLogProb() {
    double[][] sums = {
        {-1.0, -2.0, -3.0}, // votes 0 (-1.0)
        {-2.0, -0.5, -3.0}, // votes 1 (-0.5)
        {-5.0, -4.0, -0.2}, // votes 2 (-0.2)
        {-0.9, -3.0, -3.0}, // votes 0 (-0.9)  -> 0 has 2 votes: wins outright
    };
    EnsembleCombiner.ScoreChoice c = EnsembleCombiner.score(sums, CombinationRule.MAJORITY_VOTE);
    assertEquals(0, c.best());
    assertArrayEquals(new int[] {2, 1, 1}, c.votes());
    assertArrayEquals(new double[] {-8.9 / 4, -9.5 / 4, -9.2 / 4}, c.meanSumLogProb(), 1e-12);

    // Two members disagree, one vote each: candidate 1's voter has -0.5 > -1.0, so 1 wins.
    EnsembleCombiner.ScoreChoice tie = EnsembleCombiner.score(new double[][] {sums[0], sums[1]},
        CombinationRule.MAJORITY_VOTE);
    assertEquals(1, tie.best());
    assertArrayEquals(new int[] {1, 1, 0}, tie.votes());
    // Unspecified behaves as MAJORITY_VOTE.
    assertEquals(1, EnsembleCombiner.score(new double[][] {sums[0], sums[1]},
        CombinationRule.COMBINATION_RULE_UNSPECIFIED).best());
  }

  @Test
  void scoreMeanLogProbCanDisagreeWithTheVote() {
    // Two members prefer 0 narrowly, one prefers 1 by a mile: the vote says 0, the mean says 1.
    double[][] sums = {{-1.0, -1.1}, {-1.0, -1.1}, {-9.0, -0.1}};
    assertEquals(0, EnsembleCombiner.score(sums, CombinationRule.MAJORITY_VOTE).best());
    EnsembleCombiner.ScoreChoice mean = EnsembleCombiner.score(sums, CombinationRule.MEAN_LOG_PROB);
    assertEquals(1, mean.best());
    assertArrayEquals(new double[] {-11.0 / 3, -2.3 / 3}, mean.meanSumLogProb(), 1e-12);
    // Equal means: the earliest candidate, as a single-prompt best_index.
    assertEquals(0, EnsembleCombiner.score(new double[][] {{-1, -2}, {-2, -1}}, CombinationRule.MEAN_LOG_PROB).best());
  }
}
