package io.promptune.trainer.loop;

import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.StepEvent;

/** What the loop reports, and how it learns that it should stop. */
public interface LoopListener {

  /** Asked before every step; true stops the loop at once (cancelled, lease lost, shutting down). */
  default boolean shouldStop() {
    return false;
  }

  default void onStep(StepEvent step) {}

  /** A step starts; the returned action runs when it ends, however it ends (tracing, log context). */
  default Runnable stepStarted(int step) {
    return () -> {};
  }

  default void onEval(EvalEvent eval) {}

  /** The state after a step (and its evaluation, if any) is complete: store it to resume from here. */
  default void onCheckpoint(TrainingState state) {}
}
