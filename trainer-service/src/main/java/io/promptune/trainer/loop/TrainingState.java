package io.promptune.trainer.loop;

import io.promptune.trainer.optim.PromptOptimizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the loop needs to continue exactly where it was: what a checkpoint holds. Mutated only by
 * {@link TrainingLoop}; read by the checkpoint codec and the job runner.
 *
 * <p>A job trains one prompt or, for an ensemble job, several {@link Member}s in lockstep: each member has its own
 * prompt, optimiser state, data order and RNG (seeded with the job's seed + its index); the step, the best
 * evaluation (on the ensemble's value) and the stop decision are shared. The single-prompt accessors
 * ({@link #prompt()}, {@link #optimizer()}, ...) answer member 0.
 */
public final class TrainingState {

  /** One trained prompt: what is its own in an ensemble job. */
  public static final class Member {
    final float[] prompt;
    final PromptOptimizer optimizer;
    final DataOrder order;
    final Rng rng;
    float[] bestPrompt;
    double bestValue;
    float lastLoss;

    /**
     * @param bestValue this member's own dev value at the job's best step (NaN before the first evaluation)
     * @param lastLoss  this member's training loss at the last step (NaN before the first step)
     */
    public Member(float[] prompt, PromptOptimizer optimizer, DataOrder order, Rng rng, float[] bestPrompt,
        double bestValue, float lastLoss) {
      if (bestPrompt != null && bestPrompt.length != prompt.length) {
        throw new IllegalArgumentException("best prompt and prompt differ in size");
      }
      this.prompt = prompt;
      this.optimizer = optimizer;
      this.order = order;
      this.rng = rng;
      this.bestPrompt = bestPrompt;
      this.bestValue = bestValue;
      this.lastLoss = lastLoss;
    }

    /** A fresh member at step 0 whose data order and RNG come from {@code seed}. */
    public static Member initial(float[] prompt, PromptOptimizer optimizer, long seed, int trainSize) {
      return new Member(prompt.clone(), optimizer, new DataOrder(seed, trainSize, 0, 0),
          Rng.forStream(seed, Rng.STREAM_LOOP), null, Double.NaN, Float.NaN);
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

    /** The prompt at the job's best evaluation so far, or null before the first one. */
    public float[] bestPrompt() {
      return bestPrompt;
    }

    /** This member's own dev value at the job's best step; NaN before the first evaluation. */
    public double bestValue() {
      return bestValue;
    }

    public float lastLoss() {
      return lastLoss;
    }

    /** What to publish for this member: its prompt at the best evaluation, or the last one. */
    public float[] resultPrompt() {
      return bestPrompt != null ? bestPrompt : prompt;
    }
  }

  int step;
  final int length;
  final int dModel;
  final List<Member> members;
  double bestMetric;
  int bestStep;
  int evalsWithoutImprovement;
  boolean finished;
  String stopReason;

  /** A fresh single-prompt state at step 0. */
  public static TrainingState initial(float[] prompt, int length, int dModel, PromptOptimizer optimizer, long seed,
      int trainSize) {
    return new TrainingState(0, length, dModel, List.of(Member.initial(prompt, optimizer, seed, trainSize)),
        Double.NaN, 0, 0, false, "");
  }

  /** A single-prompt state (as stored by a version-1 checkpoint). */
  public TrainingState(int step, int length, int dModel, float[] prompt, PromptOptimizer optimizer, DataOrder order,
      Rng rng, double bestMetric, int bestStep, float[] bestPrompt, int evalsWithoutImprovement, float lastLoss,
      boolean finished, String stopReason) {
    this(step, length, dModel, List.of(new Member(prompt, optimizer, order, rng, bestPrompt, bestMetric, lastLoss)),
        bestMetric, bestStep, evalsWithoutImprovement, finished, stopReason);
  }

  /** A state of one or more members, all of shape [length, dModel]. */
  public TrainingState(int step, int length, int dModel, List<Member> members, double bestMetric, int bestStep,
      int evalsWithoutImprovement, boolean finished, String stopReason) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a training state needs at least one prompt");
    }
    for (Member m : members) {
      if (m.prompt.length != length * dModel) {
        throw new IllegalArgumentException("prompt does not have shape [" + length + ", " + dModel + "]");
      }
    }
    this.step = step;
    this.length = length;
    this.dModel = dModel;
    this.members = List.copyOf(new ArrayList<>(members));
    this.bestMetric = bestMetric;
    this.bestStep = bestStep;
    this.evalsWithoutImprovement = evalsWithoutImprovement;
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

  /** The trained prompts in member order: one for a single-prompt job. */
  public List<Member> members() {
    return members;
  }

  public boolean isEnsemble() {
    return members.size() > 1;
  }

  /** The live prompt of member 0 (not a copy). */
  public float[] prompt() {
    return members.get(0).prompt;
  }

  public PromptOptimizer optimizer() {
    return members.get(0).optimizer;
  }

  public DataOrder order() {
    return members.get(0).order;
  }

  public Rng rng() {
    return members.get(0).rng;
  }

  /** NaN until the first evaluation; for an ensemble, the ensemble's value. */
  public double bestMetric() {
    return bestMetric;
  }

  public int bestStep() {
    return bestStep;
  }

  /** Member 0's prompt of the best evaluation so far, or null before the first one. */
  public float[] bestPrompt() {
    return members.get(0).bestPrompt;
  }

  public int evalsWithoutImprovement() {
    return evalsWithoutImprovement;
  }

  /** The last step's loss: for an ensemble, the mean of the members' losses. */
  public float lastLoss() {
    if (members.size() == 1) {
      return members.get(0).lastLoss;
    }
    double sum = 0;
    for (Member m : members) {
      sum += m.lastLoss;
    }
    return (float) (sum / members.size());
  }

  public boolean finished() {
    return finished;
  }

  /** "max_steps" or "early_stopping" once finished. */
  public String stopReason() {
    return stopReason;
  }

  /** What to publish (member 0): the best evaluated prompt, or the last one when nothing was evaluated. */
  public float[] resultPrompt() {
    return members.get(0).resultPrompt();
  }
}
