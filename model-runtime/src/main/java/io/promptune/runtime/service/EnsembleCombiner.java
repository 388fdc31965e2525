package io.promptune.runtime.service;

import io.promptune.api.v1.CombinationRule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How an ensemble's members' answers become one (registry.proto CombinationRule). Pure functions on the members'
 * numbers, so the rules are tested on hand-made inputs.
 */
public final class EnsembleCombiner {

  private EnsembleCombiner() {}

  /** The outcome of a majority vote: the member whose answer won (its first voter) and that answer's vote count. */
  public record Vote(int winner, int votes) {}

  /**
   * Majority vote over the members' answers (compared with equals). A tie in votes goes to the answer whose voters'
   * summed log-probability is higher, then to the answer given by the earliest member.
   *
   * @param answers one per member, in member order
   * @param logProbs each member's log-probability of its own answer
   */
  public static Vote vote(List<?> answers, double[] logProbs) {
    if (answers.isEmpty() || answers.size() != logProbs.length) {
      throw new IllegalArgumentException(answers.size() + " answers, " + logProbs.length + " log-probabilities");
    }
    Map<Object, int[]> firstAndCount = new LinkedHashMap<>(); // in order of first appearance
    Map<Object, double[]> sums = new LinkedHashMap<>();
    for (int m = 0; m < answers.size(); m++) {
      Object a = answers.get(m);
      int member = m;
      firstAndCount.computeIfAbsent(a, k -> new int[] {member, 0})[1]++;
      sums.computeIfAbsent(a, k -> new double[1])[0] += logProbs[m];
    }
    Object best = null;
    for (Object a : firstAndCount.keySet()) { // first appearance order, so strict comparisons keep the earliest
      if (best == null) {
        best = a;
        continue;
      }
      int c = firstAndCount.get(a)[1];
      int bc = firstAndCount.get(best)[1];
      if (c > bc || (c == bc && sums.get(a)[0] > sums.get(best)[0])) {
        best = a;
      }
    }
    return new Vote(firstAndCount.get(Objects.requireNonNull(best))[0], firstAndCount.get(best)[1]);
  }

  /** Index of the largest value; the earliest among equals (as a single-prompt Score's best_index). */
  public static int argmax(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The combined rank-classification answer for one example. */
  public record ScoreChoice(int best, double[] meanSumLogProb, int[] votes) {}

  /**
   * @param sumLogProb [member][candidate] summed log-probabilities
   * @param rule MEAN_LOG_PROB, or MAJORITY_VOTE (also for UNSPECIFIED)
   */
  public static ScoreChoice score(double[][] sumLogProb, CombinationRule rule) {
    int members = sumLogProb.length;
    int cands = sumLogProb[0].length;
    double[] mean = new double[cands];
    int[] votes = new int[cands];
    Integer[] choice = new Integer[members];
    double[] choiceLogProb = new double[members];
    for (int m = 0; m < members; m++) {
      for (int c = 0; c < cands; c++) {
        mean[c] += sumLogProb[m][c];
      }
      int best = argmax(sumLogProb[m]);
      choice[m] = best;
      choiceLogProb[m] = sumLogProb[m][best];
      votes[best]++;
    }
    for (int c = 0; c < cands; c++) {
      mean[c] /= members;
    }
    int best = rule == CombinationRule.MEAN_LOG_PROB
        ? argmax(mean)
        : choice[vote(List.of(choice), choiceLogProb).winner()];
    return new ScoreChoice(best, mean, votes);
  }
}
