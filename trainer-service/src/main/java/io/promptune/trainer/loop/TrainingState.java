package io.promptune.trainer.loop;

import io.promptune.trainer.optim.PromptOptimizer;

/**
 * Everything the loop needs to continue exactly where it was: what a checkpoint holds. Mutated only by
 * {@link TrainingLoop}; read by the checkpoint codec and the job runner.
 */
public final class TrainingState {

  int step;
  final int length;
  final int dModel;
  final float[] prompt;
  final PromptOptimizer optimizer;
  final DataOrder order;
  final Rng rng;
  double bestMetric;
  int bestStep;
  float[] bestPrompt;
  int evalsWithoutImprovement;
  float lastLoss;
  boolean finished;
  String stopReason;

  /** A fresh state at step 0. */
  public static TrainingState initial(float[] prompt, int length, int dModel, PromptOptimizer optimizer, long seed,
      int trainSize) {
    return new TrainingState(0, length, dModel, prompt.clone(), optimizer, new DataOrder(seed, trainSize, 0, 0),
        Rng.forStream(seed, Rng.STREAM_LOOP), Double.NaN, 0, null, 0, Float.NaN, false, "");
  }

  public TrainingState(int step, int length, int dModel, float[] prompt, PromptOptimizer optimizer, DataOrder order,
      Rng rng, double bestMetric, int bestStep, float[] bestPrompt, int evalsWithoutImprovement, float lastLoss,
      boolean finished, String stopReason) {
    if (prompt.length != length * dModel || (bestPrompt != null && bestPrompt.length != prompt.length)) {
      throw new IllegalArgumentException("prompt does not have shape [" + length + ", " + dModel + "]");
    }
    this.step = step;
    this.length = length;
    this.dModel = dModel;
    this.prompt = prompt;
    this.optimizer = optimizer;
    this.order = order;
    this.rng = rng;
    this.bestMetric = bestMetric;
    this.bestStep = bestStep;
    this.bestPrompt = bestPrompt;
    this.evalsWithoutImprovement = evalsWithoutImprovement;
    this.lastLoss = lastLoss;
    this.finished = finished;
    this.stopReason = stopReason;
  }

  public int step() {
    return step;
  }

  public int length() {
    return length;
  }

  public int dModel() {
    return dModel;
  }

  /** The live prompt (not a copy). */
  public float[] prompt() {
    return prompt;
  }

  public PromptOptimizer optimizer() {
    return optimizer;
  }

  public DataOrder order() {
    return order;
  }

  public Rng rng() {
    return rng;
  }

  /** NaN until the first evaluation. */
  public double bestMetric() {
    return bestMetric;
  }

  public int bestStep() {
    return bestStep;
  }

  /** The prompt of the best evaluation so far, or null before the first one. */
  public float[] bestPrompt() {
    return bestPrompt;
  }

  public int evalsWithoutImprovement() {
    return evalsWithoutImprovement;
  }

  public float lastLoss() {
    return lastLoss;
  }

  public boolean finished() {
    return finished;
  }

  /** "max_steps" or "early_stopping" once finished. */
  public String stopReason() {
    return stopReason;
  }

  /** What to publish: the best evaluated prompt, or the last one when nothing was evaluated. */
  public float[] resultPrompt() {
    return bestPrompt != null ? bestPrompt : prompt;
  }
}
