package io.promptune.runtime.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The finished hypotheses of one input in beam search, as Hugging Face's {@code BeamHypotheses} (transformers
 * 4.33) keeps them: at most {@code numBeams}, ranked by {@code sumLogProb / length ^ lengthPenalty}.
 *
 * <p>The length is that of the decoder sequence HF holds for the hypothesis ({@code hyp.shape[-1]}): the decoder
 * start token plus the generated tokens, without the EOS that ended it. So k tokens and an EOS count k + 1, and a
 * beam cut off after {@code maxNewTokens} counts {@code maxNewTokens + 1}.
 */
final class BeamHypotheses {

  /** @param tokens generated tokens, ending with the EOS when {@code endedWithEos} */
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

  private double normalize(double sumLogProb, int length) {
    return sumLogProb / Math.pow(length, lengthPenalty);
  }

  /** @param tokens generated tokens, including the EOS when {@code endedWithEos} */
  void add(int[] tokens, double sumLogProb, boolean endedWithEos) {
    int length = 1 + tokens.length - (endedWithEos ? 1 : 0); // decoder start + tokens, without EOS
    double score = normalize(sumLogProb, length);
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
   * beam's sum, normalised by the current decoder length {@code curLen} (start token + tokens so far), cannot beat
   * the worst of them.
   */
  boolean isDone(double bestRunningSumLogProb, int curLen) {
    if (hyps.size() < numBeams) {
      return false;
    }
    return worstScore >= normalize(bestRunningSumLogProb, curLen);
  }

  /** The best hypothesis; on a tie the one added last, as HF's {@code sorted(...).pop()}. */
  Hypothesis best() {
    Hypothesis best = null;
    for (Hypothesis h : hyps) {
      if (best == null || h.score() >= best.score()) {
        best = h;
      }
    }
    if (best == null) {
      throw new IllegalStateException("no hypotheses");
    }
    return best;
  }
}
