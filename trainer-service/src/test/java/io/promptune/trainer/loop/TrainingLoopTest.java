package io.promptune.trainer.loop;

import static io.promptune.trainer.loop.LoopFixtures.D;
import static io.promptune.trainer.loop.LoopFixtures.LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.Schedule;
import io.promptune.api.v1.StepEvent;
import io.promptune.api.v1.WarmupLinearSchedule;
import io.promptune.trainer.checkpoint.CheckpointCodec;
import io.promptune.trainer.format.TextPair;
import io.promptune.trainer.optim.AdamW;
import io.promptune.trainer.optim.PromptOptimizer;
import io.promptune.trainer.schedule.LrSchedule;
import io.promptune.trainer.testing.ToyRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The loop against a deterministic runtime: resuming from a checkpoint ends bit-identical to an uninterrupted
 * run (P, best P, optimiser state, data position, every later loss), plus early stopping and NaN handling.
 */
class TrainingLoopTest {

  private static final List<TextPair> TRAIN = LoopFixtures.data(23, 0); // 23: batches straddle epoch ends
  private static final LrSchedule SCHEDULE = LrSchedule.of(Schedule.newBuilder()
      .setWarmupLinear(WarmupLinearSchedule.newBuilder().setWarmupSteps(3)).build(), 30);

  /** Records everything and can stop the loop after a given step, like a killed worker. */
  static final class Recorder implements LoopListener {
    final List<StepEvent> steps = new ArrayList<>();
    final List<EvalEvent> evals = new ArrayList<>();
    byte[] lastCheckpoint;
    int lastCheckpointStep = -1;
    final int stopAfter;
    int current;

    Recorder(int stopAfter) {
      this.stopAfter = stopAfter;
    }

    @Override
    public boolean shouldStop() {
      return current >= stopAfter;
    }

    @Override
    public void onStep(StepEvent step) {
      steps.add(step);
      current = step.getStep();
    }

    @Override
    public void onEval(EvalEvent eval) {
      evals.add(eval);
    }

    @Override
    public void onCheckpoint(TrainingState state) {
      lastCheckpoint = CheckpointCodec.encode(state);
      lastCheckpointStep = state.step();
    }
  }

  private static TrainingState fresh(PromptOptimizer opt) {
    return TrainingState.initial(LoopFixtures.initialPrompt(), LENGTH, D, opt, 2024, TRAIN.size());
  }

  private void resumeEqualsUninterrupted(Supplier<PromptOptimizer> optimizer, int killAfter) throws Exception {
    ToyRuntime rt = LoopFixtures.runtime();
    TrainingLoop.Settings s = LoopFixtures.settings(30, 0, 0, SCHEDULE);

    Recorder full = new Recorder(Integer.MAX_VALUE);
    TrainingState a = fresh(optimizer.get());
    assertEquals(TrainingLoop.Outcome.FINISHED,
        new TrainingLoop(s, rt, TRAIN, LoopFixtures.evaluator(rt), full).run(a));
    assertEquals(30, a.step());

    Recorder killed = new Recorder(killAfter);
    TrainingState b = fresh(optimizer.get());
    assertEquals(TrainingLoop.Outcome.STOPPED,
        new TrainingLoop(s, rt, TRAIN, LoopFixtures.evaluator(rt), killed).run(b));
    assertEquals(killAfter, b.step());
    // The worker "dies" here: everything after its last checkpoint is lost.
    int resumeStep = killed.lastCheckpointStep;
    assertTrue(resumeStep > 0 && resumeStep < killAfter, "checkpoint " + resumeStep);

    // A new process: fresh optimiser object, state only from the checkpoint bytes, a new runtime instance.
    ToyRuntime rt2 = LoopFixtures.runtime();
    TrainingState c = CheckpointCodec.decode(killed.lastCheckpoint, optimizer.get(), TRAIN.size());
    Recorder resumed = new Recorder(Integer.MAX_VALUE);
    assertEquals(TrainingLoop.Outcome.FINISHED,
        new TrainingLoop(s, rt2, TRAIN, LoopFixtures.evaluator(rt2), resumed).run(c));

    assertBitEqual(a.prompt(), c.prompt());
    assertBitEqual(a.bestPrompt(), c.bestPrompt());
    assertEquals(a.bestStep(), c.bestStep());
    assertEquals(Double.doubleToRawLongBits(a.bestMetric()), Double.doubleToRawLongBits(c.bestMetric()));
    assertArrayEquals(CheckpointCodec.encode(a), CheckpointCodec.encode(c), "whole final state");
    // Every step after the checkpoint saw the same batch: same losses, bit for bit.
    List<StepEvent> tail = full.steps.subList(resumeStep, 30);
    assertEquals(tail.size(), resumed.steps.size());
    for (int i = 0; i < tail.size(); i++) {
      assertEquals(tail.get(i).getStep(), resumed.steps.get(i).getStep());
      assertEquals(Float.floatToRawIntBits(tail.get(i).getLoss()),
          Float.floatToRawIntBits(resumed.steps.get(i).getLoss()), "loss at step " + tail.get(i).getStep());
      assertEquals(tail.get(i).getGradNorm(), resumed.steps.get(i).getGradNorm());
    }
  }

  static void assertBitEqual(float[] x, float[] y) {
    assertEquals(x.length, y.length);
    for (int i = 0; i < x.length; i++) {
      assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), "element " + i);
    }
  }

  @Test
  void adafactorResumeEqualsUninterrupted() throws Exception {
    resumeEqualsUninterrupted(LoopFixtures::adafactor, 12); // checkpoint at 7, killed after 12
  }

  @Test
  void adamResumeEqualsUninterrupted() throws Exception {
    resumeEqualsUninterrupted(() -> new AdamW(LENGTH * D, new AdamW.Settings(0.05, 0.9, 0.999, 1e-8, 0.01)), 22);
  }

  @Test
  void trainingReducesTheLossAndEvaluatesOnSchedule() {
    ToyRuntime rt = LoopFixtures.runtime();
    Recorder r = new Recorder(Integer.MAX_VALUE);
    TrainingState st = fresh(LoopFixtures.adafactor());
    new TrainingLoop(LoopFixtures.settings(30, 0, 0, LrSchedule.of(Schedule.getDefaultInstance(), 30)), rt, TRAIN,
        LoopFixtures.evaluator(rt), r).run(st);
    double first = (r.steps.get(0).getLoss() + r.steps.get(1).getLoss() + r.steps.get(2).getLoss()) / 3;
    double last = (r.steps.get(27).getLoss() + r.steps.get(28).getLoss() + r.steps.get(29).getLoss()) / 3;
    assertTrue(last < first, "loss " + first + " -> " + last);
    assertEquals(List.of(5, 10, 15, 20, 25, 30), r.evals.stream().map(EvalEvent::getStep).toList());
    assertEquals("accuracy", r.evals.get(0).getMetric());
    assertTrue(r.evals.get(0).getBest());
    assertTrue(Float.isFinite(r.evals.get(0).getLoss()));
    assertEquals("max_steps", st.stopReason());
    // Batches of 6 with at most 4 examples per request: two ForwardBackward calls per step, plus eval loss calls.
    assertTrue(rt.forwardBackwardCalls() >= 60);
  }

  @Test
  void earlyStoppingAfterPatienceEvaluationsWithoutImprovement() {
    ToyRuntime rt = LoopFixtures.runtime();
    Recorder r = new Recorder(Integer.MAX_VALUE);
    TrainingState st = fresh(LoopFixtures.adafactor());
    // min_delta 2: accuracy can never improve by that much after the first evaluation.
    new TrainingLoop(LoopFixtures.settings(100, 2, 2.0, LrSchedule.of(Schedule.getDefaultInstance(), 100)), rt,
        TRAIN, LoopFixtures.evaluator(rt), r).run(st);
    assertEquals(15, st.step());
    assertEquals("early_stopping", st.stopReason());
    assertEquals(5, st.bestStep());
    assertTrue(st.finished());
    assertEquals(15, r.lastCheckpointStep, "the final state is checkpointed");
  }

  @Test
  void nanLossFailsTheStep() {
    ToyRuntime rt = LoopFixtures.runtime();
    rt.nanFromForwardBackward(5); // the 3rd step's first request (2 requests per step)
    TrainingState st = fresh(LoopFixtures.adafactor());
    var e = assertThrows(NonFiniteException.class, () -> new TrainingLoop(
        LoopFixtures.settings(30, 0, 0, SCHEDULE), rt, TRAIN, null, new Recorder(Integer.MAX_VALUE)).run(st));
    assertEquals("loss is NaN at step 3", e.getMessage());
    assertEquals(2, st.step());
  }

  @Test
  void withoutValidationTheLastPromptIsTheResult() {
    ToyRuntime rt = LoopFixtures.runtime();
    TrainingState st = fresh(LoopFixtures.adafactor());
    new TrainingLoop(LoopFixtures.settings(4, 0, 0, SCHEDULE), rt, TRAIN, null, new Recorder(Integer.MAX_VALUE))
        .run(st);
    assertEquals(null, st.bestPrompt());
    assertBitEqual(st.prompt(), st.resultPrompt());
  }
}
