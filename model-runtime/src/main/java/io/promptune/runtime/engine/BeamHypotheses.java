package io.promptune.runtime.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The finished hypotheses of one input in beam search, as Hugging Face's {@code BeamHypotheses} keeps them:
 * at most {@code numBeams}, ranked by {@code sumLogProb / generatedLength ^ lengthPenalty}, where the generated
 * length counts the EOS token when there is one.
 */
final class BeamHypotheses {

  record Hypothesis(int[] tokens, double sumLogProb, double score, boolean endedWithEos) {}

  private final int numBeams;
  private final double lengthPenalty;
  private final List<Hypothesis> hyps = new ArrayList<>();
  private double worstScore = 1e9;

  BeamHypotheses(int numBeams, double lengthPenalty) {
    this.numBeams = numBeams;
    this.lengthPenalty = lengthPenalty;
  }

  int size() {
    return hyps.size();
  }

  double normalize(double sumLogProb, int generatedLength) {
    return sumLogProb / Math.pow(Math.max(1, generatedLength), lengthPenalty);
  }

  /** @param tokens generated tokens, including the EOS when {@code endedWithEos} */
  void add(int[] tokens, double sumLogProb, boolean endedWithEos) {
    double score = normalize(sumLogProb, tokens.length);
    if (hyps.size() < numBeams || score > worstScore) {
      hyps.add(new Hypothesis(tokens, sumLogProb, score, endedWithEos));
      if (hyps.size() > numBeams) {
        Hypothesis worst = hyps.stream().min(Comparator.comparingDouble(Hypothesis::score)).orElseThrow();
        hyps.remove(worst);
        worstScore = hyps.stream().mapToDouble(Hypothesis::score).min().orElseThrow();
      } else {
        worstScore = Math.min(score, worstScore);
      }
    }
  }

  /**
   * HF's early_stopping=False heuristic: done once {@code numBeams} hypotheses are kept and the best running
   * score, normalised by the current generated length, cannot beat the worst of them.
   */
  boolean isDone(double bestRunningSumLogProb, int generatedLength) {
    if (hyps.size() < numBeams) {
      return false;
    }
    return worstScore >= normalize(bestRunningSumLogProb, generatedLength);
  }

  Hypothesis best() {
    return hyps.stream().max(Comparator.comparingDouble(Hypothesis::score)).orElseThrow();
  }
}
