package io.promptune.trainer.loop;

import static io.promptune.trainer.loop.LoopFixtures.D;
import static io.promptune.trainer.loop.LoopFixtures.LENGTH;
import static io.promptune.trainer.loop.TrainingLoopTest.assertBitEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.Tensors;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.Schedule;
import io.promptune.api.v1.StepEvent;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.WarmupLinearSchedule;
import io.promptune.trainer.checkpoint.CheckpointCodec;
import io.promptune.trainer.format.TextPair;
import io.promptune.trainer.optim.AdamW;
import io.promptune.trainer.optim.PromptOptimizer;
import io.promptune.trainer.schedule.LrSchedule;
import io.promptune.trainer.testing.ToyRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Ensemble training in the loop: all members in one ForwardBackward per step, each member on the trajectory of a
 * lone job with its seed, ensemble evaluation, and exact resume from an ensemble checkpoint.
 */
class EnsembleTrainingTest {

  private static final List<TextPair> TRAIN = LoopFixtures.data(23, 0); // batches of 6 straddle epoch ends
  private static final LrSchedule SCHEDULE = LrSchedule.of(Schedule.newBuilder()
      .setWarmupLinear(WarmupLinearSchedule.newBuilder().setWarmupSteps(3)).build(), 30);
  private static final long SEED = 2024;
  private static final int MEMBERS = 3;

  private static float[] initialPrompt(int member) {
    Rng r = Rng.seeded(99 + member);
    float[] p = new float[LENGTH * D];
    for (int i = 0; i < p.length; i++) {
      p[i] = r.nextFloat() - 0.5f;
    }
    return p;
  }

  private static TrainingState ensemble(Supplier<PromptOptimizer> optimizer) {
    List<TrainingState.Member> members = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      members.add(TrainingState.Member.initial(initialPrompt(i), optimizer.get(), SEED + i, TRAIN.size()));
    }
    return new TrainingState(0, LENGTH, D, members, Double.NaN, 0, 0, false, "");
  }

  private static TrainingLoop.Settings settings(int maxSteps, int perRequest) {
    return new TrainingLoop.Settings(maxSteps, 6, 5, 7, 0, 0, 0.3, SCHEDULE, perRequest, "toy-8-97-5",
        Truncation.REJECT, CombinationRule.MAJORITY_VOTE);
  }

  private static ToyRuntime runtime(int maxBatch) {
    return new ToyRuntime(D, 97, 5, maxBatch);
  }

  @Test
  void everyStepIsOneForwardBackwardCarryingAllMembers() {
    ToyRuntime rt = runtime(64);
    rt.recordRequests();
    TrainingState st = ensemble(LoopFixtures::adafactor);
    List<List<float[]>> snapshots = new ArrayList<>(); // each member's prompt as each step starts
    List<StepEvent> steps = new ArrayList<>();
    LoopListener rec = new LoopListener() {
      @Override
      public Runnable stepStarted(int step) {
        List<float[]> now = new ArrayList<>();
        for (TrainingState.Member m : st.members()) {
          now.add(m.prompt().clone());
        }
        snapshots.add(now);
        return () -> {};
      }

      @Override
      public void onStep(StepEvent step) {
        steps.add(step);
      }
    };
    new TrainingLoop(settings(5, 64), rt, TRAIN, null, rec).run(st);

    List<ForwardBackwardRequest> calls = rt.recordedRequests();
    assertEquals(5, calls.size(), "one ForwardBackward per step");
    assertEquals(5, steps.size(), "one step event per ensemble step");
    // Member i visits the records in the order of a lone job with seed + i: (seed + i)'s permutation of epoch 0.
    int[][] orders = new int[MEMBERS][];
    for (int i = 0; i < MEMBERS; i++) {
      orders[i] = DataOrder.permutation(SEED + i, TRAIN.size(), 0);
    }
    for (int step = 0; step < 3; step++) { // steps 1-3 stay within epoch 0 (18 of 23 records)
      ForwardBackwardRequest req = calls.get(step);
      assertEquals(MEMBERS, req.getPromptsCount());
      assertEquals(MEMBERS * 6, req.getExamplesCount());
      for (int i = 0; i < MEMBERS; i++) {
        assertBitEqual(snapshots.get(step).get(i), Tensors.toFloats(req.getPrompts(i).getTensor(), "p"));
        for (int k = 0; k < 6; k++) {
          var ex = req.getExamples(i * 6 + k);
          assertEquals(i, ex.getPromptIndex());
          assertEquals(TRAIN.get(orders[i][step * 6 + k]).input(), ex.getInput().getText());
          assertEquals(TRAIN.get(orders[i][step * 6 + k]).target(), ex.getTarget().getText());
        }
      }
    }
  }

  /**
   * Member i of an ensemble ends where a lone job with seed + i and the same init ends. Tolerance: the runtime
   * returns the gradient of the whole request's token mean in float32 and the trainer rescales it by (request
   * tokens / member tokens), so each gradient element can differ from the lone job's by a few float32 ulps
   * (relative ~1e-7); the optimiser carries such differences along. Measured after 20 steps: at most 4.8e-7
   * absolute (a few ulps of values of order 0.1-1), so 1e-5 leaves a 20x margin. A mis-scaled member gradient
   * moves the prompt by 0.5 under the scale-sensitive optimiser below, a mixed-up batch by far more than 1e-5.
   */
  private void membersFollowLoneJobs(Supplier<PromptOptimizer> optimizer, int perRequest) {
    int steps = 20;
    ToyRuntime rt = runtime(64);
    TrainingState ens = ensemble(optimizer);
    new TrainingLoop(settings(steps, perRequest), rt, TRAIN, null, new TrainingLoopTest.Recorder(Integer.MAX_VALUE))
        .run(ens);
    for (int i = 0; i < MEMBERS; i++) {
      TrainingState lone = TrainingState.initial(initialPrompt(i), LENGTH, D, optimizer.get(), SEED + i, TRAIN.size());
      new TrainingLoop(settings(steps, 64), rt, TRAIN, null, new TrainingLoopTest.Recorder(Integer.MAX_VALUE))
          .run(lone);
      float[] a = ens.members().get(i).prompt();
      float[] b = lone.prompt();
      double maxDiff = 0;
      double moved = 0;
      for (int k = 0; k < a.length; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
        moved = Math.max(moved, Math.abs(b[k] - initialPrompt(i)[k]));
      }
      assertTrue(moved > 1e-2, "the lone job trained (moved " + moved + ")");
      assertTrue(maxDiff <= 1e-5, "member " + i + " differs from its lone job by " + maxDiff);
      assertEquals(lone.lastLoss(), ens.members().get(i).lastLoss(), 1e-5, "member " + i + " loss");
      assertEquals(lone.order().epoch(), ens.members().get(i).order().epoch());
      assertEquals(lone.order().cursor(), ens.members().get(i).order().cursor());
    }
  }

  @Test
  void adafactorMembersFollowTheirLoneJobs() {
    membersFollowLoneJobs(LoopFixtures::adafactor, 64);
  }

  @Test
  void adamMembersFollowTheirLoneJobs() {
    membersFollowLoneJobs(() -> new AdamW(LENGTH * D, new AdamW.Settings(0.05, 0.9, 0.999, 1e-8, 0.01)), 64);
  }

  @Test
  void gradientScaleSensitiveMembersFollowTheirLoneJobs() {
    // Adafactor and Adam normalise the gradient, so they barely notice a wrong gradient scale; with eps 1 AdamW's
    // update is about lr * momentum, proportional to the gradient: a mis-scaled member gradient shows at once.
    membersFollowLoneJobs(() -> new AdamW(LENGTH * D, new AdamW.Settings(0.9, 0.5, 0.5, 1.0, 0)), 64);
  }

  @Test
  void membersFollowTheirLoneJobsWhenTheRuntimeLimitSplitsTheStep() {
    // 18 examples in requests of at most 4: requests mix members, so the per-member token bookkeeping matters.
    membersFollowLoneJobs(LoopFixtures::adafactor, 4);
  }

  @Test
  void ensembleEvaluationReportsMembersAndTheVote() {
    ToyRuntime rt = runtime(64);
    Evaluator ev = new Evaluator(rt, EvalMode.RANK_CLASSIFICATION, LoopFixtures.data(10, 1000), LoopFixtures.LABELS,
        0, 6, Truncation.REJECT, true);
    float[] a = initialPrompt(0);
    float[] b = initialPrompt(1);
    double va = ev.evaluate(a, LENGTH, D).value();
    double vb = ev.evaluate(b, LENGTH, D).value();
    assertTrue(va != vb, "the fixture needs members that disagree: " + va + " vs " + vb);
    int before = rt.scoreCalls();
    // Two of three members are the same prompt: a majority vote always follows them.
    Evaluator.Result r = ev.evaluateEnsemble(List.of(a, b, a), LENGTH, D, CombinationRule.MAJORITY_VOTE);
    assertEquals(va, r.value());
    assertEquals(List.of(va, vb, va), r.memberValues());
    // 10 examples, 6 rows per request, 3 rows per example: 2 examples per Score call.
    assertEquals(5, rt.scoreCalls() - before);
    float la = ev.evaluate(a, LENGTH, D).loss();
    float lb = ev.evaluate(b, LENGTH, D).loss();
    assertEquals((2.0 * la + lb) / 3, r.loss(), 1e-6);
  }

  @Test
  void exactMatchEnsembleFollowsTheMajority() {
    ToyRuntime rt = runtime(64);
    List<TextPair> dev = LoopFixtures.data(8, 300);
    Evaluator ev = new Evaluator(rt, EvalMode.EXACT_MATCH, dev, List.of(), 3, 6, Truncation.REJECT, false);
    float[] a = new float[LENGTH * D]; // zeros: the toy model then answers from the input alone
    float[] b = initialPrompt(2);
    double va = ev.evaluate(a, LENGTH, D).value();
    double vb = ev.evaluate(b, LENGTH, D).value();
    Evaluator.Result r = ev.evaluateEnsemble(List.of(b, a, a), LENGTH, D, CombinationRule.MAJORITY_VOTE);
    assertEquals(va, r.value());
    assertEquals(List.of(vb, va, va), r.memberValues());
  }

  @Test
  void evalEventsCarryEnsembleMemberValuesAndMean() {
    ToyRuntime rt = runtime(64);
    TrainingLoopTest.Recorder rec = new TrainingLoopTest.Recorder(Integer.MAX_VALUE);
    TrainingState st = ensemble(LoopFixtures::adafactor);
    new TrainingLoop(settings(10, 64), rt, TRAIN, LoopFixtures.evaluator(rt), rec).run(st);
    assertEquals(List.of(5, 10), rec.evals.stream().map(EvalEvent::getStep).toList());
    for (EvalEvent e : rec.evals) {
      assertEquals(MEMBERS, e.getMemberValuesCount());
      double sum = 0;
      for (double v : e.getMemberValuesList()) {
        sum += v;
      }
      assertEquals(sum / MEMBERS, e.getMemberMean(), 1e-12);
    }
    EvalEvent best = rec.evals.stream().filter(EvalEvent::getBest).reduce((x, y) -> y).orElseThrow();
    assertEquals(best.getValue(), st.bestMetric());
    assertEquals(best.getStep(), st.bestStep());
    for (int i = 0; i < MEMBERS; i++) {
      assertEquals(best.getMemberValues(i), st.members().get(i).bestValue());
      assertTrue(st.members().get(i).bestPrompt() != null);
    }
  }

  @Test
  void ensembleResumeEqualsUninterrupted() throws IOException {
    ToyRuntime rt = runtime(64);
    TrainingLoop.Settings s = settings(30, 64);
    TrainingLoopTest.Recorder full = new TrainingLoopTest.Recorder(Integer.MAX_VALUE);
    TrainingState a = ensemble(LoopFixtures::adafactor);
    new TrainingLoop(s, rt, TRAIN, LoopFixtures.evaluator(rt), full).run(a);

    TrainingLoopTest.Recorder killed = new TrainingLoopTest.Recorder(12);
    TrainingState b = ensemble(LoopFixtures::adafactor);
    assertEquals(TrainingLoop.Outcome.STOPPED, new TrainingLoop(s, rt, TRAIN, LoopFixtures.evaluator(rt), killed)
        .run(b));
    int resumeStep = killed.lastCheckpointStep;
    assertEquals(7, resumeStep);

    byte[] bytes = killed.lastCheckpoint;
    TrainingState c = CheckpointCodec.decode(bytes, LoopFixtures::adafactor, MEMBERS, TRAIN.size());
    assertArrayEquals(bytes, CheckpointCodec.encode(c), "encode(decode(x)) == x");
    ToyRuntime rt2 = runtime(64);
    TrainingLoopTest.Recorder resumed = new TrainingLoopTest.Recorder(Integer.MAX_VALUE);
    new TrainingLoop(s, rt2, TRAIN, LoopFixtures.evaluator(rt2), resumed).run(c);

    for (int i = 0; i < MEMBERS; i++) {
      assertBitEqual(a.members().get(i).prompt(), c.members().get(i).prompt());
      assertBitEqual(a.members().get(i).bestPrompt(), c.members().get(i).bestPrompt());
    }
    assertArrayEquals(CheckpointCodec.encode(a), CheckpointCodec.encode(c), "whole final state");
    List<StepEvent> tail = full.steps.subList(resumeStep, 30);
    assertEquals(stripped(tail), stripped(resumed.steps), "every later step: same losses and norms, bit for bit");
  }

  private static List<StepEvent> stripped(List<StepEvent> steps) {
    return steps.stream().map(e -> e.toBuilder().setExamplesPerSecond(0).build()).toList();
  }

  @Test
  void ensembleCheckpointsRejectAnotherMemberCount() {
    TrainingState st = ensemble(LoopFixtures::adafactor);
    byte[] bytes = CheckpointCodec.encode(st);
    var e = assertThrows(IOException.class,
        () -> CheckpointCodec.decode(bytes, LoopFixtures::adafactor, 2, TRAIN.size()));
    assertTrue(e.getMessage().contains("3 prompts"), e.getMessage());
    byte[] single = CheckpointCodec.encode(TrainingState.initial(initialPrompt(0), LENGTH, D,
        LoopFixtures.adafactor(), SEED, TRAIN.size()));
    assertThrows(IOException.class, () -> CheckpointCodec.decode(single, LoopFixtures::adafactor, 3, TRAIN.size()));
    assertThrows(IOException.class, () -> CheckpointCodec.decode(bytes, LoopFixtures.adafactor(), TRAIN.size()));
  }
}
