package io.promptune.trainer.optim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.SortedMap;

/**
 * Updates the prompt P [rows, cols] in place from its gradient. Plain float math in a fixed order, so the same
 * inputs always give bit-identical outputs; the whole state can be written to and read back from a checkpoint.
 */
public interface PromptOptimizer {

  /** "adafactor" or "adamw"; stored in checkpoints so a state is never read by the wrong optimiser. */
  String kind();

  /**
   * One update. {@code lr} is the scheduled learning rate for this step (base lr times the schedule's factor).
   */
  void step(float[] p, float[] grad, double lr);

  /** Number of updates applied so far. */
  int steps();

  void save(DataOutput out) throws IOException;

  /** Replaces this optimiser's state with one written by {@link #save} for the same shape and kind. */
  void restore(DataInput in) throws IOException;

  /** Its settings, for the published version's hyperparameters (sorted keys). */
  SortedMap<String, String> hyperparameters();
}
