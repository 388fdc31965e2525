package io.promptune.runtime.engine;

import java.util.Arrays;

/**
 * One input's side of beam search, as Hugging Face's {@code BeamSearchScorer} (transformers 4.33, early_stopping
 * False, one returned sequence): each step it turns the best candidates into finished hypotheses (those ending in
 * EOS) and the {@code numBeams} beams that continue, and says when the input is done. Plain Java: the tensor work
 * is {@link BeamSearch}'s.
 */
final class BeamSearchScorer {

  /** The beams that continue, best first: where each comes from, its new token, its running sum of log-probs. */
  record Next(int[] sourceBeam, int[] token, double[] sumLogProb) {}

  private final int numBeams;
  private final int eos;
  private final BeamHypotheses finished;
  private int[][] running; // [numBeams][tokens so far]
  private double[] runningSum;

  BeamSearchScorer(int numBeams, double lengthPenalty, int eosTokenId) {
    this.numBeams = numBeams;
    this.eos = eosTokenId;
    this.finished = new BeamHypotheses(numBeams, lengthPenalty);
    this.running = new int[numBeams][0];
    this.runningSum = new double[numBeams];
  }

  /**
   * HF's {@code process} for this input.
   *
   * @param beam       the 2·numBeams best candidates, best first: the beam each extends
   * @param token      ... the token it appends
   * @param sumLogProb ... that beam's sum of log-probs with the token
   * @param curLen     the decoder length before this step: start token + tokens so far
   * @return the beams that continue, or null once the input is done (no running beam can beat the finished ones)
   */
  Next process(int[] beam, int[] token, double[] sumLogProb, int curLen) {
    int[] src = new int[numBeams];
    int[] tok = new int[numBeams];
    double[] sum = new double[numBeams];
    int filled = 0;
    for (int rank = 0; rank < beam.length && filled < numBeams; rank++) {
      if (token[rank] == eos) {
        if (rank >= numBeams) { // an EOS below the top numBeams candidates does not finish a hypothesis
          continue;
        }
        finished.add(append(running[beam[rank]], eos), sumLogProb[rank], true);
      } else {
        src[filled] = beam[rank];
        tok[filled] = token[rank];
        sum[filled] = sumLogProb[rank];
        filled++;
      }
    }
    if (filled < numBeams) { // at most one EOS per beam, so 2·numBeams candidates always suffice
      throw new IllegalStateException("beam search got " + beam.length + " candidates for " + numBeams + " beams");
    }
    if (finished.isDone(sumLogProb[0], curLen)) {
      return null;
    }
    int[][] next = new int[numBeams][];
    for (int k = 0; k < numBeams; k++) {
      next[k] = append(running[src[k]], tok[k]);
    }
    running = next;
    runningSum = sum;
    return new Next(src, tok, sum);
  }

  /** HF's {@code finalize}: out of steps, the running beams become hypotheses (cut off, no EOS). */
  void finalizeRunning() {
    for (int k = 0; k < numBeams; k++) {
      finished.add(running[k], runningSum[k], false);
    }
  }

  /** The best hypothesis. */
  GenerationResult best() {
    BeamHypotheses.Hypothesis h = finished.best();
    return new GenerationResult(h.tokens(), h.sumLogProb(), h.endedWithEos());
  }

  private static int[] append(int[] tokens, int token) {
    int[] out = Arrays.copyOf(tokens, tokens.length + 1);
    out[tokens.length] = token;
    return out;
  }
}
